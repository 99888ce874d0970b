/**
 * MiniCPM-V-style slice planning as Megrez-3B-Omni's image processor does it: an overview image resized to about
 * scale_resolution² pixels plus, for large images, a cols×rows grid of refine slices chosen by aspect ratio.
 * Pure geometry (no pixels). Rounding mirrors the Python original: `int()` truncates and `round()` is
 * round-half-to-even, which changes sizes for exact .5 cases.
 */
export type SliceOptions = {
  scaleResolution: number;
  maxSliceNums: number;
  patchSize: number;
};

export const MEGREZ_SLICE_OPTIONS: SliceOptions = { scaleResolution: 448, maxSliceNums: 9, patchSize: 14 };

export type Size = { width: number; height: number };

export type SlicePlan = {
  /** The whole image, resized (bicubic) so both sides are multiples of the patch size. */
  overview: Size;
  /** Grid as [columns, rows], or null when the image is small enough to use the overview alone. */
  grid: [number, number] | null;
  /** Size the image is resized to before cutting it into the grid (each cell is refine / grid). */
  refine: Size | null;
};

/** Python 3 `round()` for non-negative values: ties go to the even neighbour. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

function ensureDivide(length: number, patchSize: number): number {
  return Math.max(roundHalfEven(length / patchSize) * patchSize, patchSize);
}

function findBestResize(size: Size, options: SliceOptions, allowUpscale: boolean): Size {
  let { width, height } = size;
  const scale = options.scaleResolution;
  if (width * height > scale * scale || allowUpscale) {
    const ratio = width / height;
    height = Math.trunc(scale / Math.sqrt(ratio));
    width = Math.trunc(height * ratio);
  }
  return { width: ensureDivide(width, options.patchSize), height: ensureDivide(height, options.patchSize) };
}

function chooseGrid(size: Size, options: SliceOptions): [number, number] | null {
  const logRatio = Math.log(size.width / size.height);
  const ratio = (size.width * size.height) / (options.scaleResolution * options.scaleResolution);
  const multiple = Math.min(Math.ceil(ratio), options.maxSliceNums);
  if (multiple <= 1) return null;
  const candidates: [number, number][] = [];
  for (const count of [multiple - 1, multiple, multiple + 1]) {
    if (count === 1 || count > options.maxSliceNums) continue;
    for (let columns = 1; columns <= count; columns++) {
      if (count % columns === 0) candidates.push([columns, count / columns]);
    }
  }
  let best: [number, number] = [1, 1];
  let minError = Number.POSITIVE_INFINITY;
  for (const grid of candidates) {
    const error = Math.abs(logRatio - Math.log(grid[0] / grid[1]));
    if (error < minError) {
      best = grid;
      minError = error;
    }
  }
  return best;
}

function refineSize(size: Size, grid: [number, number], options: SliceOptions): Size {
  const refineWidth = ensureDivide(size.width, grid[0]);
  const refineHeight = ensureDivide(size.height, grid[1]);
  const cell = findBestResize({ width: refineWidth / grid[0], height: refineHeight / grid[1] }, options, true);
  return { width: cell.width * grid[0], height: cell.height * grid[1] };
}

export function planImageSlices(size: Size, options: SliceOptions = MEGREZ_SLICE_OPTIONS): SlicePlan {
  const grid = chooseGrid(size, options);
  if (grid === null) {
    return { overview: findBestResize(size, options, true), grid: null, refine: null };
  }
  return { overview: findBestResize(size, options, false), grid, refine: refineSize(size, grid, options) };
}

/** Number of slices (overview + grid cells) the plan produces. */
export function sliceCount(plan: SlicePlan): number {
  return 1 + (plan.grid === null ? 0 : plan.grid[0] * plan.grid[1]);
}
