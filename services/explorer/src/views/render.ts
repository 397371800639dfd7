import type { ReactElement } from 'react';
import { renderToString } from 'react-dom/server';

/** A whole page: React renders (and escapes) everything; only the doctype is prepended. */
export function renderPage(page: ReactElement): string {
  return `<!DOCTYPE html>${renderToString(page)}`;
}

/** A fragment (htmx swaps it into a page). */
export function renderFragment(fragment: ReactElement): string {
  return renderToString(fragment);
}
