// What a sample looks like: a point of dimension d, or an image of c × h × w pixels. Methods and
// network families read the shape; nothing else assumes `[n, dim]`.
export type DataShape = { kind: 'points'; dim: number } | { kind: 'image'; channels: number; height: number; width: number };

export const points = (dim: number): DataShape => ({ kind: 'points', dim });
export const image = (channels: number, height: number, width = height): DataShape => ({ kind: 'image', channels, height, width });

/** The dimensions of one sample: [d] or [c, h, w]. A batch is [n, ...sampleDims(shape)]. */
export function sampleDims(s: DataShape): number[] {
  return s.kind === 'points' ? [s.dim] : [s.channels, s.height, s.width];
}
/** Numbers in one sample. */
export const sampleSize = (s: DataShape): number => sampleDims(s).reduce((a, b) => a * b, 1);

/** The shape of m samples packed into one (PacGAN): along the features of points, the channels of images. */
export function packed(s: DataShape, m: number): DataShape {
  return s.kind === 'points' ? points(s.dim * m) : { ...s, channels: s.channels * m };
}

export function describeShape(s: DataShape): string {
  return s.kind === 'points' ? `points of dimension ${s.dim}` : `${s.channels}×${s.height}×${s.width} images`;
}
