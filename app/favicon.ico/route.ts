// The product's icon: a gate (two posts and a bar) on the console's slate. Served as SVG at the
// address browsers and bookmarks ask for by default, and named in the page head (app/layout.tsx).
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="6" fill="#0f172a"/>
<rect x="6" y="8" width="4" height="18" rx="1" fill="#e2e8f0"/>
<rect x="22" y="8" width="4" height="18" rx="1" fill="#e2e8f0"/>
<rect x="10" y="13" width="12" height="3" fill="#38bdf8"/>
<rect x="10" y="19" width="12" height="3" fill="#38bdf8"/>
</svg>
`;

export const dynamic = "force-static";

export function GET(): Response {
  return new Response(ICON, { headers: { "content-type": "image/svg+xml", "cache-control": "public, max-age=86400" } });
}
