// Element construction for the views: attributes as an object, children as nodes or text.
type Attributes = Record<string, string | number | undefined>;
type Child = Node | string;

const SVG_NS = 'http://www.w3.org/2000/svg';

function fill<T extends Element>(element: T, attributes: Attributes, children: Child[]): T {
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  return fill(document.createElementNS(SVG_NS, tag), attributes, children);
}

export function html<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  return fill(document.createElement(tag), attributes, children);
}

export function button(label: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = html('button', { title, type: 'button' }, label);
  b.addEventListener('click', onClick);
  return b;
}
