// Checks of what a target keeps to itself (draft-httpauth-payment §11.2.1 "Credential
// Handling", §11.2.2 "Challenge-Binding Secret Management", §11.7 "Privacy", §11.8
// "Credential Storage"): paying needs no account; credentials and receipts are treated as
// sensitive (never repeated in a response, never cacheable by shared caches, never
// logged); the binding secret never reaches a client or a log. The run-wide checks read
// the journal of every exchange, and the target's log file when the configuration names it.
import { readFile } from 'node:fs/promises'
import { Challenge, Receipt, Secret } from '@paywire/core'
import {
  authorization,
  type Context,
  challenges,
  define,
  expectPaid,
  expectResponse,
  Failure,
  NotApplicable,
  offer,
} from '../Check.js'
import * as Journal from '../Journal.js'

/** The checks of privacy, secrets and logs. */
export const checks = [
  define({
    id: 'server.privacy.no-accounts',
    title:
      'a payment alone buys the resource: no login, session cookie or other credential is required',
    level: 'MUST',
    requirements: ['core.privacy.no-accounts'],
    needs: ['payment'],
    tags: ['privacy'],
    async run(context) {
      const unpaid = (await challenges(context, context.routes.paid)).exchange
      const other = otherSchemes(unpaid.headers.get('www-authenticate') ?? '')
      if (other.length > 0)
        throw new Failure(`the 402 also asks for ${other.join(', ')} authentication`, unpaid)
      const found = await offer(context, context.routes.paid)
      // Only the Payment credential: no cookie the 402 may have set, no other header.
      const paid = await context.request(context.routes.paid, {
        authorization: authorization(found.challenge, await found.payer.pay(found.challenge)),
      })
      expectResponse(paid)
      const status = paid.response.status
      if (status === 401 || status === 403 || (status >= 300 && status < 400))
        throw new Failure(
          `a valid payment without any account or session got ${status}${found.exchange.headers.get('set-cookie') === null ? '' : ' (the 402 set a cookie)'}`,
          [found.exchange, paid],
        )
      expectPaid(paid, 'a payment made without an account')
      return undefined
    },
  }),
  define({
    id: 'server.privacy.credential-sensitive',
    title:
      'no response to a credential repeats it, lets a shared cache store it, or moves its receipt into another header',
    level: 'MUST',
    requirements: ['core.credential.sensitive', 'core.storage.sensitive-headers'],
    needs: ['payment'],
    tags: ['privacy', 'run'],
    final: true,
    async run(context) {
      const tokens = Journal.credentials(context.journal)
      const proofs = Journal.proofs(context.journal)
      const holdsCredential = Journal.leakFinder(tokens)
      let answered = 0
      for (const exchange of context.journal.exchanges) {
        const sent = exchange.evidence.request.headers.authorization ?? ''
        if (!/^Payment /i.test(sent) || exchange.response === undefined) continue
        answered++
        // The receipt is searched for whole copies only: being base64url JSON that may name
        // the challenge id, it can share a slice with a credential by chance.
        const text = Journal.responseText(exchange, { omit: [Receipt.headerName.toLowerCase()] })
        const receipt = exchange.headers.get(Receipt.headerName)
        if (
          holdsCredential(text) ||
          tokens.some((token) => receipt?.includes(token)) ||
          proofs.some((proof) => text.includes(proof) || receipt?.includes(proof))
        )
          throw new Failure('a response repeats a credential (or its proof) it was sent', exchange)
        const cache = (exchange.headers.get('cache-control') ?? '').toLowerCase()
        if (/(^|,)\s*(public|s-maxage)\b/.test(cache))
          throw new Failure(
            `a response to a credential-bearing request allows shared caches to store it (Cache-Control: ${cache})`,
            exchange,
          )
        if (receipt !== null && receipt.length >= 16)
          for (const name of ['location', 'content-location', 'set-cookie', 'link', 'refresh'])
            if ((exchange.headers.get(name) ?? '').includes(receipt))
              throw new Failure(`the receipt is repeated in ${name}`, exchange)
      }
      if (answered === 0)
        throw new NotApplicable('the run sent no credential: run this check with those that pay')
      return { message: `${answered} answers to ${tokens.length} credentials checked` }
    },
  }),
  define({
    id: 'server.secret.not-disclosed',
    title: 'no response of the run discloses the challenge-binding secret, in any common encoding',
    level: 'MUST',
    requirements: ['core.secret.not-disclosed', 'core.secret.server-only'],
    needs: ['secret'],
    tags: ['privacy', 'secret', 'run'],
    final: true,
    async run(context) {
      const forms = Journal.encodings(context.config.secret as string)
      let answered = 0
      for (const exchange of context.journal.exchanges) {
        if (exchange.response === undefined) continue
        answered++
        const text = Journal.responseText(exchange)
        if (forms.some((form) => text.includes(form)))
          throw new Failure('a response discloses the challenge-binding secret', exchange)
      }
      if (answered === 0) throw new NotApplicable('the run got no response to search')
      return { message: `${answered} responses searched${bindingNote(context)}` }
    },
  }),
  define({
    id: 'server.log.no-credential',
    title: "the target's log holds none of the credentials the run sent, their proofs or receipts",
    level: 'MUST',
    requirements: [
      'core.credential.no-log',
      'core.credential.sensitive',
      'core.storage.sensitive-headers',
    ],
    needs: ['log'],
    tags: ['privacy', 'log', 'run'],
    final: true,
    async run(context) {
      const log = await readLog(context)
      const tokens = Journal.credentials(context.journal)
      const proofs = Journal.proofs(context.journal)
      const receipts = Journal.receipts(context.journal)
      if (tokens.length === 0)
        throw new NotApplicable('the run sent no credential: run this check with those that pay')
      if (Journal.leakFinder(tokens)(log))
        throw new Failure(`the log (${context.config.logFile}) holds a credential the run sent`)
      if (proofs.some((proof) => log.includes(proof)))
        throw new Failure(`the log (${context.config.logFile}) holds the proof of a credential`)
      if (Journal.leakFinder(receipts)(log))
        throw new Failure(`the log (${context.config.logFile}) holds a Payment-Receipt value`)
      return {
        message: `${log.length} characters of log searched for ${tokens.length} credentials, ${proofs.length} proofs and ${receipts.length} receipts`,
      }
    },
  }),
  define({
    id: 'server.log.no-secret',
    title: "the target's log does not hold the challenge-binding secret, in any common encoding",
    level: 'MUST',
    requirements: ['core.secret.no-log', 'core.secret.server-only'],
    needs: ['log', 'secret'],
    tags: ['privacy', 'secret', 'log', 'run'],
    final: true,
    async run(context) {
      const log = await readLog(context)
      if (Journal.encodings(context.config.secret as string).some((form) => log.includes(form)))
        throw new Failure(`the log (${context.config.logFile}) holds the challenge-binding secret`)
      return { message: `${log.length} characters of log searched` }
    },
  }),
]

/**
 * The target's log, read after the run (all of it: a secret logged at startup counts). A
 * log that got nothing during the run is no evidence: the file named is not where the
 * target logs, or it logs nothing.
 */
async function readLog(context: Context): Promise<string> {
  const file = context.config.logFile as string
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (cause) {
    throw new Failure(
      `logFile ${file} cannot be read after the run (${(cause as Error).message}): nothing shows what the target logs`,
    )
  }
  const written = bytes.subarray(Math.min(context.logStart, bytes.length)).toString('utf8')
  if (written.trim() === '')
    throw new Failure(
      `nothing was written to logFile ${file} during the run: it is not evidence of what the target logs (set logFile to the file the target writes its request log to)`,
    )
  return bytes.toString('utf8')
}

/** Authentication schemes other than Payment that a 402 asks for. */
function otherSchemes(header: string): string[] {
  // Quoted values first become empty: their text (a description) is not a scheme.
  const bare = header.replace(/"(?:[^"\\]|\\.)*"/g, '""')
  const scheme = /(?:^|,)\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?=\s+[^\s=,]+\s*=|\s*$|\s*,)/g
  const schemes = [...bare.matchAll(scheme)]
    .map((match) => match[1] as string)
    .filter((scheme) => scheme.toLowerCase() !== 'payment')
  return [...new Set(schemes)]
}

/** Whether the configured secret recomputes the target's challenge ids (information only). */
function bindingNote(context: Context): string {
  for (const exchange of context.journal.exchanges) {
    if (exchange.response?.status !== 402) continue
    let challenge: Challenge.Challenge | undefined
    try {
      challenge = Challenge.deserializeList(exchange.headers.get('www-authenticate') ?? '')[0]
    } catch {
      continue
    }
    if (challenge === undefined) continue
    try {
      const secret = Secret.from(context.config.secret as string)
      return Challenge.verify(challenge, { secret })
        ? "; the secret binds the target's challenge ids"
        : "; note: the secret does not recompute the target's challenge ids"
    } catch {
      return '; note: the secret is not one @paywire/core accepts as a binding secret'
    }
  }
  return ''
}
