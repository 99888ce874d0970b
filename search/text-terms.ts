/**
 * Tokenization shared by passage ranking and the local index: words for space-separated scripts,
 * overlapping character bigrams for Han/Kana/Hangul runs (no spaces to split on, and bigrams are the
 * standard cheap stand-in for word segmentation), case-folded, with a short English stop list.
 */

const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;
const WORD = /[\p{L}\p{N}_]+/gu;

const STOP_WORDS = new Set(
  "a an and are as at be but by for from has have how i in is it its of on or that the this to was were what when where which who why will with does do did can you your".split(
    " ",
  ),
);

/** Search terms of `text`: lower-cased words plus CJK bigrams (single CJK characters stand alone). */
export function tokenizeTerms(text: string): string[] {
  const terms: string[] = [];
  const lowered = text.normalize("NFKC").toLowerCase();
  for (const match of lowered.replace(CJK_RUN, " ").matchAll(WORD)) {
    const word = match[0];
    if (!STOP_WORDS.has(word)) terms.push(word);
  }
  for (const match of lowered.matchAll(CJK_RUN)) {
    const run = [...match[0]];
    if (run.length === 1) terms.push(run[0] ?? "");
    for (let index = 0; index + 1 < run.length; index++) terms.push(`${run[index]}${run[index + 1]}`);
  }
  return terms;
}
