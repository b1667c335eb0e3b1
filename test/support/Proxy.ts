import { createServer, type Server, type Socket, connect } from "node:net"

/** A TCP relay in front of PostgreSQL that a test can cut and restore, to play a database outage. */
export const makeProxy = async (targetPort: number) => {
  const sockets = new Set<Socket>()
  let server: Server | undefined
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(targetPort, "127.0.0.1")
        for (const socket of [client, upstream]) {
          sockets.add(socket)
          socket.on("close", () => sockets.delete(socket))
          socket.on("error", () => {
            client.destroy()
            upstream.destroy()
          })
        }
        client.pipe(upstream).pipe(client)
      })
      server.once("error", reject)
      server.listen(port, "127.0.0.1", () => resolve((server!.address() as { port: number }).port))
    })
  const port = await listen(0)
  return {
    port,
    cut: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server!.close(() => resolve())
      }),
    restore: () => listen(port).then(() => undefined)
  }
}
