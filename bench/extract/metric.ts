/**
 * The article-extraction metric from test/fixtures/extraction/README.md, implemented exactly:
 * `\w+` tokens, multisets of 4-token shingles, per-page tp/fp/fn normalised to sum 1,
 * corpus precision/recall as means over pages where they are defined, F1 from those means.
 * Shared by the extraction benchmark and the F1-floor test so both report the same number.
 */

/** Python's `\w` in Unicode mode: letters, numbers and underscore. */
const WORD = /[\p{L}\p{N}_]+/gu;

export function tokenize(text: string): string[] {
  return text.match(WORD) ?? [];
}

function shingles(tokens: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  if (tokens.length === 0) return counts;
  if (tokens.length < 4) {
    counts.set(tokens.join(" "), 1);
    return counts;
  }
  for (let index = 0; index + 4 <= tokens.length; index++) {
    const key = tokens.slice(index, index + 4).join(" ");
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export interface PageScore {
  tp: number;
  fp: number;
  fn: number;
  exact: boolean;
}

export function scorePage(truth: string, predicted: string): PageScore {
  const trueTokens = tokenize(truth);
  const predictedTokens = tokenize(predicted);
  const trueShingles = shingles(trueTokens);
  const predictedShingles = shingles(predictedTokens);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const [key, trueCount] of trueShingles) {
    const predictedCount = predictedShingles.get(key) ?? 0;
    tp += Math.min(trueCount, predictedCount);
    fn += Math.max(0, trueCount - predictedCount);
  }
  for (const [key, predictedCount] of predictedShingles) {
    fp += Math.max(0, predictedCount - (trueShingles.get(key) ?? 0));
  }
  const total = tp + fp + fn;
  const exact = trueTokens.length === predictedTokens.length && trueTokens.every((token, index) => token === predictedTokens[index]);
  if (total === 0) return { tp: 0, fp: 0, fn: 0, exact };
  return { tp: tp / total, fp: fp / total, fn: fn / total, exact };
}

export interface CorpusScore {
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
  pages: number;
}

function pagePrecision(score: PageScore): number {
  if (score.fp === 0 && score.fn === 0) return 1;
  if (score.tp === 0) return 0;
  return score.tp / (score.tp + score.fp);
}

function pageRecall(score: PageScore): number {
  if (score.fp === 0 && score.fn === 0) return 1;
  if (score.tp === 0) return 0;
  return score.tp / (score.tp + score.fn);
}

export function scoreCorpus(scores: PageScore[]): CorpusScore {
  const precisions = scores.filter((score) => score.tp + score.fp > 0).map(pagePrecision);
  const recalls = scores.filter((score) => score.tp + score.fn > 0).map(pageRecall);
  const mean = (values: number[]): number => (values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length);
  const precision = mean(precisions);
  const recall = mean(recalls);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const accuracy = scores.length === 0 ? 0 : scores.filter((score) => score.exact).length / scores.length;
  return { precision, recall, f1, accuracy, pages: scores.length };
}
