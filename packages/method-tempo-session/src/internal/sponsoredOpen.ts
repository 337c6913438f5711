// What a sponsor checks of an open beyond its transaction (draft-tempo-session §"Server
// Requirements": validate against the challenge and the channel before co-signing): the
// deposit covers the price of a unit, and the initial voucher is signed by the channel's
// signer. An open the server would refuse once mined is not paid for by the sponsor.
import { SessionChannel } from '@paywire/core'
import { Voucher } from '@paywire/escrow'
import type { Address, Hex } from 'viem'
import type * as ChannelTransaction from '../ChannelTransaction.js'

/** @internal Refuses a sponsored open the server would not accept once mined. */
export async function assert(parameters: {
  opened: ChannelTransaction.Opened
  price: bigint
  voucher: { channelId: Hex; cumulativeAmount: bigint; signature: Hex }
  chainId: number
  escrow: Address
}): Promise<void> {
  const { opened, price, voucher } = parameters
  if (opened.deposit < price)
    throw new SessionChannel.InsufficientBalanceError(
      `the open deposits ${opened.deposit}, less than the price ${price}`,
      { requiredTopUp: price - opened.deposit },
    )
  await Voucher.verify({
    chainId: parameters.chainId,
    escrow: parameters.escrow,
    channelId: voucher.channelId,
    cumulativeAmount: voucher.cumulativeAmount,
    signature: voucher.signature,
    signer: Voucher.expectedSigner(opened),
  })
}
