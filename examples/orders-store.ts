import type { DecisionEvent, Policy } from 'oidc-guard'

/** The example orders API's data: an in-memory list, enough to show who may do what. */
export interface Order {
  id: number
  owner: string
  item: string
}

export function createOrdersStore() {
  const orders: Order[] = [
    { id: 1, owner: 'reader', item: 'coffee beans' },
    { id: 2, owner: 'writer', item: 'espresso machine' },
  ]
  return {
    all: () => orders,
    ownedBy: (owner: string) => orders.filter((order) => order.owner === owner),
    add(owner: string, item: unknown): Order {
      const order = {
        id: orders.length + 1,
        owner,
        item: typeof item === 'string' ? item : 'unnamed',
      }
      orders.push(order)
      return order
    },
    /** Refunds an order; undefined when there is no such order. */
    refund(id: number): (Order & { refunded: true }) | undefined {
      const order = orders.find((candidate) => candidate.id === id)
      return order && { ...order, refunded: true }
    },
    stats: () => ({
      orders: orders.length,
      owners: new Set(orders.map((order) => order.owner)).size,
    }),
  }
}

/** What the example APIs are configured with. */
export interface ExampleConfig {
  issuer: string
  audience: string
  /** Where decisions go; the demo prints them. */
  onDecision?: (event: DecisionEvent) => void
  /** The policy document that decides refunds (`POST /orders/:id/refund`); see examples/policy. */
  policy?: Policy
}
