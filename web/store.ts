import { useEffect, useState } from "preact/hooks"

/** A value several screens share, with a hook that re-renders a component when it changes. */
export interface Store<S> {
  readonly get: () => S
  readonly set: (state: S) => void
  readonly subscribe: (listener: () => void) => () => void
}

export const createStore = <S>(initial: S): Store<S> => {
  let state = initial
  const listeners = new Set<() => void>()
  return {
    get: () => state,
    set: (next) => {
      state = next
      listeners.forEach((listener) => listener())
    },
    subscribe: (listener) => {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    }
  }
}

export const useStore = <S>(store: Store<S>): S => {
  const [, rerender] = useState(0)
  useEffect(() => store.subscribe(() => rerender((n) => n + 1)), [store])
  return store.get()
}
