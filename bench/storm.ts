export async function runStormBench(..._a: unknown[]) { return '' }
