import type { AuthenticateOptions } from 'oidc-guard'

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

/**
 * What the example APIs are configured with: the authentication options, so the demo passes its
 * provider's issuer and a test passes `createTestIssuer()`'s `options`.
 */
export type ExampleConfig = AuthenticateOptions
