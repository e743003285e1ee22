export async function runMicroBench(_o: { quick: boolean; log: (l: string) => void }) { return '' }
