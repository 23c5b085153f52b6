// Watches the DAG panel from the Chromium side and tells when it first shows every node of the flow.
// Every webview document is watched from the moment its frame navigates (webviews are the only frames
// nested two deep in the workbench: the webview host iframe, then its content frame), and the check
// runs inside that document on every animation frame, so the time it reports is the frame in which
// the last node entered the DOM (the paint follows in that same frame).
import type { Frame, Page } from 'playwright-core';

export interface DagPaint {
  /** `Date.now()` in the webview when `svg g.node` first counted all the flow's steps. */
  paintedAt: number;
  nodes: number;
  /** True when every node was already there when the webview's document was first reached: `paintedAt` is then only an upper bound. */
  upperBound: boolean;
}

const NODE_SELECTOR = 'svg g.node';

/** The part of the DOM the checks use; they run in the webview, whose types this Node project does not load. */
type InPage = { document: { querySelectorAll(selector: string): { length: number } } };

function depth(frame: Frame): number {
  let d = 0;
  for (let parent = frame.parentFrame(); parent; parent = parent.parentFrame()) d += 1;
  return d;
}

function isContextLoss(err: unknown): boolean {
  return /Execution context was destroyed|Frame was detached|frame got detached|Target (page, context or browser )?(has been )?closed/i.test(err instanceof Error ? err.message : String(err));
}

/** Resolves with the paint of `nodes` nodes in a webview of `page`; start it before the panel is asked for. */
export function waitForDagPaint(page: Page, nodes: number, timeoutMs: number): Promise<DagPaint> {
  return new Promise<DagPaint>((resolve, reject) => {
    let settled = false;
    const watched = new Set<Frame>();
    const finish = (error: Error | undefined, paint?: DagPaint) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      page.off('framenavigated', onFrame);
      if (error) reject(error);
      else resolve(paint!);
    };
    const timer = setTimeout(() => finish(new Error(`no webview showed ${nodes} '${NODE_SELECTOR}' elements within ${timeoutMs} ms`)), timeoutMs);

    const watch = async (frame: Frame, firstLook: boolean): Promise<void> => {
      try {
        const drawnAlready = firstLook && (await frame.evaluate(([selector, n]) => (globalThis as unknown as InPage).document.querySelectorAll(selector).length >= n, [NODE_SELECTOR, nodes] as const));
        const seen = await frame.waitForFunction(
          ([selector, n]) => {
            const count = (globalThis as unknown as InPage).document.querySelectorAll(selector).length;
            return count >= n ? { at: Date.now(), count } : false;
          },
          [NODE_SELECTOR, nodes] as const,
          { polling: 'raf', timeout: timeoutMs },
        );
        const { at, count } = (await seen.jsonValue()) as { at: number; count: number };
        finish(undefined, { paintedAt: at, nodes: count, upperBound: drawnAlready });
      } catch (err) {
        if (settled) return;
        // The webview replaces its document while it loads: keep watching the frame unless it is gone.
        if (isContextLoss(err) && !frame.isDetached()) void watch(frame, false);
        else if (!isContextLoss(err)) finish(err instanceof Error ? err : new Error(String(err)));
        else watched.delete(frame);
      }
    };
    function onFrame(frame: Frame): void {
      if (settled || depth(frame) < 2 || watched.has(frame)) return;
      watched.add(frame);
      void watch(frame, true);
    }
    page.on('framenavigated', onFrame);
    for (const frame of page.frames()) onFrame(frame);
  });
}
