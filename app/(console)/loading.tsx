import { LoadingRows } from "../../components/ui/page";

/**
 * What a console page shows while its data loads (Next wraps every page of the console in a
 * Suspense boundary with this fallback). The boundary matters for hydration too: React's payload
 * splits a large page into rows streamed one after another, and without a boundary around the page
 * the Overview failed to hydrate (#418) when its audit table's row arrived after the browser had
 * started hydrating; inside a boundary, hydration of the page waits for it.
 */
export default function Loading() {
  return <LoadingRows />;
}
