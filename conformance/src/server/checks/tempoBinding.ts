// Checks that a Tempo charge server takes no chain event as payment unless it is bound to
// the challenge redeemed, and that its fee sponsor pays only for what settles (issue 14;
// draft-tempo-charge-00 §"Hash Verification", §"Server-Paid Fees" in the security
// considerations; spec/DEVIATIONS.md row 25 for the binding beyond the draft): a pushed
// transfer made for one challenge, or an unrelated transfer of the amount, never pays
// another; a sponsored transaction that would revert is refused before it is broadcast; a
// mined sponsored transaction replayed never exhausts the sponsor.
import {
  authorization,
  type Context,
  define,
  expectPaid,
  expectRefusal,
  Failure,
  NotApplicable,
} from '../Check.js'
import { expectNoReceipt, modesOf, sponsoredOffer, tempoOffer } from './tempo.js'

/** How many times the sponsored replay check replays a mined sponsored transaction. */
const replays = 6

/** The checks of challenge binding and fee sponsorship of the Tempo charge. */
export const checks = [
  define({
    id: 'server.tempo.push.unbound',
    title:
      "a pushed transfer pays only the challenge it is bound to: another challenge's payment, or an unrelated transfer of the amount, is refused, and the rightful payer is still served",
    level: 'MUST',
    requirements: ['tempo.charge.binding.bound-transfer', 'tempo.charge.receipt.not-on-error'],
    needs: ['payment:tempo'],
    tags: ['tempo', 'push', 'binding'],
    async run(context: Context) {
      const victim = await tempoOffer(context, context.routes.paid)
      if (!modesOf(victim.request).includes('push'))
        throw new NotApplicable('the Tempo challenge does not accept push mode')
      const paid = await victim.payer.payWith({ challenge: victim.challenge, mode: 'push' })
      // Someone who saw the transaction on chain races the payer with a challenge of its own.
      const thief = await tempoOffer(context, context.routes.paid)
      const stolen = await context.request(context.routes.paid, {
        authorization: authorization(thief.challenge, paid),
      })
      expectRefusal(stolen, 'a pushed payment presented with another challenge', {
        problems: ['verification-failed'],
      })
      expectNoReceipt(stolen)
      expectPaid(
        await context.request(context.routes.paid, {
          authorization: authorization(victim.challenge, paid),
        }),
        'the rightful payer, after the attempt',
      )
      // A transfer of the amount that names no challenge at all.
      const fresh = await tempoOffer(context, context.routes.paid)
      const unbound = await fresh.payer.payWith({
        challenge: fresh.challenge,
        mode: 'push',
        bound: false,
      })
      const exchange = await context.request(context.routes.paid, {
        authorization: authorization(fresh.challenge, unbound),
      })
      expectRefusal(exchange, 'a pushed transfer bound to no challenge', {
        problems: ['verification-failed'],
      })
      expectNoReceipt(exchange)
      return undefined
    },
  }),
  define({
    id: 'server.tempo.sponsored.revert-refused',
    title:
      'a fee-sponsored transaction that would revert on chain (its sender holds nothing) is refused and never broadcast',
    level: 'MUST',
    requirements: ['tempo.charge.fee.simulate', 'tempo.charge.receipt.not-on-error'],
    needs: ['payment:tempo'],
    tags: ['tempo', 'fee-payer'],
    async run(context: Context) {
      const { found, route } = await sponsoredOffer(context)
      const payment = await found.payer.payWith({ challenge: found.challenge, account: 'empty' })
      const sender =
        String(payment.source ?? '')
          .split(':')
          .at(-1) ?? ''
      const { chain } = await found.payer.connect()
      const exchange = await context.request(route, {
        authorization: authorization(found.challenge, payment),
      })
      expectRefusal(exchange, 'a sponsored transaction from an account holding nothing', {
        problems: ['verification-failed', 'payment-insufficient'],
      })
      expectNoReceipt(exchange)
      const nonce = await chain.getNonce(sender)
      if (nonce !== 0n)
        throw new Failure(
          `the target broadcast the transaction (its sender's nonce is ${nonce}): it reverted, and the sponsor paid its fee`,
          exchange,
        )
      return undefined
    },
  }),
  define({
    id: 'server.tempo.sponsored.replay-free',
    title: `a mined fee-sponsored transaction replayed ${replays} times with fresh challenges is refused each time, and sponsored payments still settle after`,
    level: 'MUST',
    requirements: ['tempo.charge.fee.no-replay-cost', 'charge.replay.protection'],
    needs: ['payment:tempo'],
    tags: ['tempo', 'fee-payer', 'replay'],
    async run(context: Context) {
      const { found, route } = await sponsoredOffer(context)
      const payment = await found.payer.pay(found.challenge)
      expectPaid(
        await context.request(route, { authorization: authorization(found.challenge, payment) }),
        'a fee-sponsored payment',
      )
      for (let replay = 0; replay < replays; replay++) {
        const { found: again } = await sponsoredOffer(context)
        const exchange = await context.request(route, {
          authorization: authorization(again.challenge, payment),
        })
        expectRefusal(exchange, 'a replayed sponsored transaction', {
          problems: ['verification-failed', 'invalid-challenge'],
        })
      }
      const { found: honest } = await sponsoredOffer(context)
      expectPaid(
        await context.request(route, {
          authorization: authorization(honest.challenge, await honest.payer.pay(honest.challenge)),
        }),
        `a sponsored payment after ${replays} replays`,
      )
      return undefined
    },
  }),
]
