/** Prints extractPage's text and the ground truth for fixture ids starting with argv[2] (development aid). */
import { extractPage } from "../../search/extract";
import { loadFixturePages } from "./fixtures";

for (const page of loadFixturePages().filter((candidate) => candidate.id.startsWith(process.argv[2] ?? "-"))) {
  const extracted = extractPage(page.html, page.url);
  console.log("=== OUT", extracted.title, extracted.publishedAt, extracted.language, "\n", extracted.text.slice(0, Number(process.argv[3] ?? 3000)));
  console.log("=== TRUTH\n", page.truth.slice(0, Number(process.argv[3] ?? 3000)));
}
