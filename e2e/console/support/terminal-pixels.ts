import type { Page } from "@playwright/test";
import sharp from "sharp";

/**
 * How many pixels of the browser terminal are lit (brighter than its dark background) in the cells
 * where `text` is shown on screen: a pixel check, so a glyph the renderer clips away counts as
 * nothing even though xterm's buffer and DOM hold it. Null when the text is not on screen.
 */
export async function litPixelsOf(page: Page, text: string): Promise<number | null> {
  const rect = await page.getByTestId("browser-terminal").evaluate((root, wanted) => {
    const walker = document.createTreeWalker(root.querySelector(".xterm-rows")!, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.textContent!.indexOf(wanted);
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + wanted.length);
      const r = range.getBoundingClientRect();
      // The whole row's height: a glyph below the baseline is drawn under the text's own box.
      const row = node.parentElement!.closest(".xterm-rows > div")!.getBoundingClientRect();
      return { x: r.left, y: row.top, width: r.width, height: row.height };
    }
    return null;
  }, text);
  if (!rect) return null;
  const png = await page.screenshot({ clip: rect });
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  let lit = 0;
  for (let i = 0; i < data.length; i += info.channels) if (Math.max(data[i], data[i + 1], data[i + 2]) > 100) lit++;
  return lit;
}
