import { createServer } from 'node:http'
import { describe, expect, it } from 'vitest'
import * as FreePort from './FreePort.js'

describe('FreePort', () => {
  it('listens on 127.0.0.1 with a port the system picks, and closes', async () => {
    const { url, port, close } = await FreePort.listen(createServer((_req, res) => res.end('ok')))
    expect(url).toBe(`http://127.0.0.1:${port}`)
    expect(await (await fetch(url)).text()).toBe('ok')
    await close()
    await expect(fetch(url)).rejects.toThrow()
  })

  it('finds a port that a server can then bind', async () => {
    const port = await FreePort.get()
    expect(port).toBeGreaterThan(0)
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    await new Promise((resolve) => server.close(resolve))
  })
})
