// The checked-in ABI and bytecode are what the pinned solc makes of contracts/Escrow.sol
// today: this test fails when the source changed and `pnpm compile` was not run.
import { describe, expect, it } from 'vitest'
import { compile, solcVersion } from '../scripts/compile.js'
import * as Escrow from './Escrow.js'

describe('artifacts', () => {
  it('match a fresh compile of contracts/Escrow.sol with the pinned solc', () => {
    const fresh = compile()
    expect(Escrow.abi).toEqual(fresh.abi)
    expect(Escrow.bytecode).toBe(fresh.bytecode)
    expect(Escrow.deployedBytecode).toBe(fresh.deployedBytecode)
    expect(solcVersion).toBe('0.8.37')
  })

  it('expose every function, event and error of the draft interface {tempo.session.escrow.functions}', () => {
    const names = (type: string) =>
      Escrow.abi
        .filter((item) => item.type === type)
        .map((item) => ('name' in item ? item.name : ''))
        .sort()
    expect(names('function')).toEqual([
      'CLOSE_GRACE_PERIOD',
      'CLOSE_REQUEST_TYPEHASH',
      'VOUCHER_TYPEHASH',
      'close',
      'computeChannelId',
      'domainSeparator',
      'getChannel',
      'getChannelsBatch',
      'getCloseRequestDigest',
      'getVoucherDigest',
      'open',
      'requestClose',
      'settle',
      'topUp',
      'withdraw',
    ])
    expect(names('event')).toEqual([
      'ChannelClosed',
      'ChannelOpened',
      'CloseRequestCancelled',
      'CloseRequested',
      'Settled',
      'TopUp',
    ])
    expect(names('error')).toEqual([
      'AmountExceedsDeposit',
      'AmountNotIncreasing',
      'ChannelAlreadyExists',
      'ChannelFinalized',
      'ChannelNotFound',
      'CloseNotReady',
      'InvalidSignature',
      'NotPayee',
      'NotPayer',
      'TransferFailed',
    ])
  })
})
