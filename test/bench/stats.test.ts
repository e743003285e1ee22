import { describe, expect, it } from 'vitest'
import { meanInterval, median } from '../../bench/stats.js'

// The paired benchmark's verdicts rest on these two: a wrong interval would call noise a result.
describe('bench statistics', () => {
  it('median: the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })

  it("meanInterval: the mean and Student's t half-width at 95%", () => {
    // n = 4, mean 0.95, squared deviations 0.001 in all: sample sd 0.01 * sqrt(10/3); t(3) = 3.182.
    const { mean, halfWidth } = meanInterval([0.93, 0.94, 0.96, 0.97])
    expect(mean).toBeCloseTo(0.95, 10)
    expect(halfWidth).toBeCloseTo((3.182 * (0.01 * Math.sqrt(10 / 3))) / 2, 6)
  })

  it('meanInterval: wider with fewer batches, none from one', () => {
    const few = meanInterval([0.9, 1.0])
    const many = meanInterval([0.9, 1.0, 0.9, 1.0, 0.9, 1.0])
    expect(few.halfWidth).toBeGreaterThan(many.halfWidth)
    expect(Number.isNaN(meanInterval([0.97]).halfWidth)).toBe(true)
    expect(meanInterval([0.97]).mean).toBe(0.97)
  })

  it('meanInterval: past 30 degrees of freedom, the last tabulated t', () => {
    const values = Array.from({ length: 40 }, (_, index) => (index % 2 ? 1 : 0))
    const { halfWidth } = meanInterval(values)
    const sd = Math.sqrt((40 * 0.25) / 39)
    expect(halfWidth).toBeCloseTo((2.042 * sd) / Math.sqrt(40), 10)
  })
})
