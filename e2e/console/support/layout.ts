import type { Page } from "@playwright/test";

/** How far the page itself (not a box inside it) scrolls sideways, in px. */
export const pageOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

/**
 * The visible selects whose chosen option does not fit the box (the text is cut short, as
 * "token (same value, same toke"): measured with the select's own font, less its padding and arrow.
 */
export function cutSelects(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const ctx = document.createElement("canvas").getContext("2d")!;
    const ARROW = 18;
    return [...document.querySelectorAll("select")]
      .filter((s) => s.offsetParent !== null)
      .flatMap((s) => {
        const cs = getComputedStyle(s);
        ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
        const text = s.selectedOptions[0]?.text ?? "";
        const room = s.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - ARROW;
        return ctx.measureText(text).width > room ? [`${s.name || s.id}: "${text}" (${Math.round(ctx.measureText(text).width)} px in ${Math.round(room)} px)`] : [];
      });
  });
}

/** Boxes cut at the bottom: their content is taller than they show. */
export const clippedHeight = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((els) => els.filter((e) => e.scrollHeight > e.clientHeight + 1).map((e) => e.getAttribute("aria-label") ?? e.tagName));

/**
 * The tables that scroll sideways in their box but lose their first column when scrolled to the
 * end (it should stay held at the box's left edge), by label; scroll positions are put back.
 */
export function unheldFirstColumns(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll("table")].flatMap((table) => {
      const box = table.parentElement!;
      const cell = table.querySelector("tbody tr > td:first-child:not(:only-child)");
      if (!cell || box.scrollWidth <= box.clientWidth + 1) return [];
      box.scrollLeft = box.scrollWidth;
      const held = Math.abs(cell.getBoundingClientRect().left - box.getBoundingClientRect().left) <= 2;
      box.scrollLeft = 0;
      return held ? [] : [table.getAttribute("aria-label") ?? "(a table without a label)"];
    }),
  );
}
