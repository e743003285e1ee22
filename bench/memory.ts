export async function runMemoryBench(_o: { tokens: number; log: (l: string) => void }) { return '' }
