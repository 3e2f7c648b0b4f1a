/**
 * The one escaping function for text a pull request author controls (object names, namespaces, hashring and
 * tenant names, labels, risk messages, branch names) wherever a report puts it: table cells, inline text, `>`
 * callouts, `<summary>` and `<code>` elements.
 *
 * Every character that can start Markdown or HTML syntax becomes a numeric character reference. CommonMark (and
 * GitHub's GFM) never reads a character reference as syntax: `&#91;` shows `[` but cannot open a link, `&#124;`
 * cannot split a table cell, `&#96;` cannot open or close a code span, `&#60;` cannot open a tag; in HTML
 * elements the reference shows the same character. Backslash escapes would not do: they are shown literally
 * inside HTML elements' attributes and code spans, and an odd backtick run in the text decides where a span ends.
 * Line breaks become spaces, so a value can never start a new block (a heading, a list, a new callout). `$` is
 * escaped for GitHub's math spans. Plain URLs and `@name` stay as they are: GitHub links them showing the URL or
 * name itself, so they cannot pose as other text.
 */
const SYNTAX = /[&<>"'`*_~[\]|\\!$]/g;

export function escapeMarkdown(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(SYNTAX, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * Author-controlled text shown as code. Text that needs no escaping keeps the plain backtick span (what the
 * report always printed); anything else is shown in a `<code>` element holding the escaped text, because a
 * backtick span shows character references literally and cannot hold every backtick run safely.
 */
export function codeText(text: string): string {
  const clean = text.replace(/[\r\n\u2028\u2029]+/g, ' ');
  const escaped = escapeMarkdown(clean);
  return escaped === clean ? `\`${clean}\`` : `<code>${escaped}</code>`;
}
