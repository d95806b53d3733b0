import { options, type VNode } from 'preact';
import { visibleText } from '../../core/visible-text.js';

/**
 * Every text the page renders shows its hidden characters as `[U+202E]` (src/core/visible-text.ts):
 * provider ids, references, customer names and payloads come from outside, and a bidirectional
 * override or a zero-width space in one could make an id look like another's. Done once, where
 * Preact makes a text node (a text vnode has no type and its text as props), so no panel can
 * forget it. Form values are props, not text nodes: what an operator types stays as typed.
 */
export function showHiddenCharacters(): void {
  const previous = options.vnode;
  options.vnode = (vnode: VNode) => {
    // A text vnode's props is its text, which Preact's types do not describe.
    const node = vnode as unknown as { type: unknown; props: unknown };
    if (node.type === null && typeof node.props === 'string') node.props = visibleText(node.props);
    previous?.(vnode);
  };
}
