// The Artifact Explorer's nodes and how each one looks: label, description, icon, tooltip and the
// `viewItem` context value its menus key on.
import * as vscode from 'vscode';
import { formatBytes, formatMs, localTime, shortType } from '../client/formatting';
import { runDescription, runNamespaceNote } from '../client/runNamespace';
import type { ArtifactSummary, ClientRunStatus, ClientTaskStatus, RunSummary, StepSummary, TaskSummary } from '../client/types';

export type ExplorerNode =
  | { kind: 'root'; root: string }
  | { kind: 'flow'; root: string; flow: string }
  | { kind: 'run'; root: string; run: RunSummary }
  | { kind: 'step'; root: string; step: StepSummary }
  | { kind: 'task'; root: string; task: TaskSummary }
  | { kind: 'artifact'; root: string; artifact: ArtifactSummary; flow: string }
  | { kind: 'more'; parent: ExplorerNode; shown: number; total: number }
  | { kind: 'message'; text: string; tooltip?: string; error: boolean };

export const PREVIEW_COMMAND = 'metaflow.artifactExplorer.preview';
export const LOAD_MORE_COMMAND = 'metaflow.artifactExplorer.loadMore';

const RUN_ICONS: Record<ClientRunStatus, vscode.ThemeIcon> = {
  succeeded: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  running: new vscode.ThemeIcon('sync~spin'),
  incomplete: new vscode.ThemeIcon('circle-slash'),
};

const TASK_ICONS: Record<ClientTaskStatus, vscode.ThemeIcon> = {
  succeeded: RUN_ICONS.succeeded,
  failed: RUN_ICONS.failed,
  running: RUN_ICONS.running,
  unknown: new vscode.ThemeIcon('question'),
};

function runTooltip(run: RunSummary): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${run.pathspec}** — ${run.status}\n\n`);
  md.appendMarkdown(`Started ${localTime(run.startedAt)}${run.user ? ` by ${run.user}` : ''}\n\n`);
  if (run.durationMs !== undefined) md.appendMarkdown(`Duration ${formatMs(run.durationMs)}\n\n`);
  const namespace = runNamespaceNote(run);
  if (namespace) md.appendText(`${namespace}\n\n`);
  if (run.originRunId) md.appendMarkdown(`Resumed from run ${run.originRunId}\n\n`);
  if (run.tags.length) md.appendMarkdown(`Tags: ${run.tags.join(', ')}\n\n`);
  if (run.systemTags.length) md.appendMarkdown(`System tags: ${run.systemTags.join(', ')}\n\n`);
  if (run.status === 'incomplete') md.appendMarkdown('The run stopped before its end step and no task failed (cancelled, or run up to a step).\n\n');
  if (run.error) md.appendMarkdown(`⚠ ${run.error}`);
  return md;
}

function taskLabel(task: TaskSummary): string {
  return task.foreachIndex !== undefined ? `${task.taskId} [${task.foreachIndex}]` : task.taskId;
}

function taskDescription(task: TaskSummary): string {
  const parts: string[] = [task.status];
  if (task.foreachValue !== undefined) parts.push(`= ${task.foreachValue}`);
  if (task.attempt) parts.push(`attempt ${task.attempt}`);
  if (task.durationMs !== undefined) parts.push(formatMs(task.durationMs));
  if (task.originTaskId) parts.push(`cloned from ${task.originTaskId}`);
  return parts.join(' · ');
}

export function treeItem(node: ExplorerNode): vscode.TreeItem {
  const C = vscode.TreeItemCollapsibleState;
  switch (node.kind) {
    case 'root': {
      const item = new vscode.TreeItem(node.root, C.Expanded);
      item.iconPath = new vscode.ThemeIcon('database');
      item.contextValue = 'metaflow.datastore';
      item.id = `root:${node.root}`;
      return item;
    }
    case 'flow': {
      const item = new vscode.TreeItem(node.flow, C.Collapsed);
      item.iconPath = new vscode.ThemeIcon('type-hierarchy');
      item.contextValue = 'metaflow.flow';
      item.id = `flow:${node.root}:${node.flow}`;
      return item;
    }
    case 'run': {
      const run = node.run;
      const item = new vscode.TreeItem(run.runId, C.Collapsed);
      item.description = runDescription(run);
      item.tooltip = runTooltip(run);
      item.iconPath = run.error ? new vscode.ThemeIcon('warning') : RUN_ICONS[run.status];
      item.contextValue = run.status === 'running' ? 'metaflow.run.running' : 'metaflow.run';
      item.id = `run:${node.root}:${run.pathspec}`;
      return item;
    }
    case 'step': {
      const item = new vscode.TreeItem(node.step.name, C.Collapsed);
      item.iconPath = new vscode.ThemeIcon(node.step.error ? 'warning' : 'symbol-method');
      if (node.step.taskCount !== undefined) item.description = node.step.taskCount === 1 ? '1 task' : `${node.step.taskCount} tasks`;
      item.tooltip = node.step.error ?? node.step.pathspec;
      item.contextValue = 'metaflow.step';
      item.id = `step:${node.root}:${node.step.pathspec}`;
      return item;
    }
    case 'task': {
      const task = node.task;
      const item = new vscode.TreeItem(taskLabel(task), C.Collapsed);
      item.description = taskDescription(task);
      item.iconPath = task.error ? new vscode.ThemeIcon('warning') : TASK_ICONS[task.status];
      const md = new vscode.MarkdownString(`**${task.pathspec}** — ${task.status}${task.attempt !== undefined ? `, attempt ${task.attempt}` : ''}\n\n`);
      if (task.startedAt !== undefined) md.appendMarkdown(`Started ${localTime(task.startedAt)}\n\n`);
      if (task.foreachIndex !== undefined) md.appendMarkdown(`Foreach index ${task.foreachIndex}${task.foreachValue !== undefined ? `, value \`${task.foreachValue}\`` : ''}\n\n`);
      if (task.error) md.appendMarkdown(`⚠ ${task.error}`);
      item.tooltip = md;
      item.contextValue = 'metaflow.task';
      item.id = `task:${node.root}:${task.pathspec}`;
      return item;
    }
    case 'artifact': {
      const a = node.artifact;
      const item = new vscode.TreeItem(a.name, C.None);
      item.description = [shortType(a.type), a.size !== undefined ? formatBytes(a.size) : undefined].filter(Boolean).join(' · ');
      item.tooltip = `${a.pathspec}\n${a.type ?? 'type not recorded'}${a.size !== undefined ? `, ${a.size} bytes pickled` : ''}\nsha ${a.sha}`;
      item.iconPath = new vscode.ThemeIcon('symbol-variable');
      item.contextValue = 'metaflow.artifact';
      item.id = `artifact:${node.root}:${a.pathspec}`;
      item.command = { command: PREVIEW_COMMAND, title: 'Preview', arguments: [node] };
      return item;
    }
    case 'more': {
      const item = new vscode.TreeItem(`Load more… (${node.shown} of ${node.total} shown)`, C.None);
      item.iconPath = new vscode.ThemeIcon('ellipsis');
      item.contextValue = 'metaflow.loadMore';
      item.command = { command: LOAD_MORE_COMMAND, title: 'Load more', arguments: [node] };
      return item;
    }
    case 'message': {
      const item = new vscode.TreeItem(node.text, C.None);
      item.iconPath = new vscode.ThemeIcon(node.error ? 'warning' : 'info');
      item.tooltip = node.tooltip ?? node.text;
      item.contextValue = 'metaflow.message';
      return item;
    }
  }
}
