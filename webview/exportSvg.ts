// Serializes the drawing as a standalone SVG file: the whole graph at 100 %, with the theme's computed
// colours and fonts written onto each element, since dag.css and the --vscode-* variables exist only here.
// Inherited properties are written only where they differ from the parent's; the others only when not at their initial value.
const INHERITED = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-dasharray',
  'stroke-opacity',
  'stroke-linecap',
  'stroke-linejoin',
  'visibility',
  'font-family',
  'font-size',
  'font-weight',
  'font-variant-numeric',
] as const;
const NOT_INHERITED: Record<string, string> = { opacity: '1', display: 'inline' };

export function exportSvg(svg: SVGSVGElement, content: { width: number; height: number }): string {
  // Export what a reader needs at full size, not the current zoom level's simplified drawing.
  const lowDetail = svg.classList.contains('low-detail');
  svg.classList.remove('low-detail');
  try {
    const clone = svg.cloneNode(true) as SVGSVGElement;
    const originals = [svg, ...Array.from(svg.querySelectorAll<SVGElement>('*'))];
    const copies = [clone, ...Array.from(clone.querySelectorAll<SVGElement>('*'))];
    const computedOf = new Map<Element, CSSStyleDeclaration>();
    originals.forEach((original, i) => {
      const copy = copies[i];
      const computed = getComputedStyle(original);
      computedOf.set(original, computed);
      const parent = original === svg ? undefined : computedOf.get(original.parentElement as Element);
      for (const property of INHERITED) {
        const value = computed.getPropertyValue(property);
        if (!parent || parent.getPropertyValue(property) !== value) copy.style.setProperty(property, value);
      }
      for (const [property, initial] of Object.entries(NOT_INHERITED)) {
        const value = computed.getPropertyValue(property);
        if (value !== initial && original !== svg) copy.style.setProperty(property, value);
      }
      copy.removeAttribute('tabindex');
      copy.removeAttribute('class');
    });
    clone.removeAttribute('role');
    clone.removeAttribute('aria-label');
    clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
    clone.setAttribute('width', String(content.width));
    clone.setAttribute('height', String(content.height));
    clone.setAttribute('viewBox', `0 0 ${content.width} ${content.height}`);
    clone.querySelector('[data-layer="viewport"]')?.removeAttribute('transform');
    const background = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
    background.setAttribute('width', '100%');
    background.setAttribute('height', '100%');
    background.style.setProperty('fill', getComputedStyle(svg).getPropertyValue('background-color'));
    clone.insertBefore(background, clone.firstChild);
    return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}`;
  } finally {
    svg.classList.toggle('low-detail', lowDetail);
  }
}
