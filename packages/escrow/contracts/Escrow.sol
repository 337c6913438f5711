// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title paywire escrow for Tempo session payment channels
/// @notice Implements the v1 ("contract-backed") escrow interface of draft-tempo-session-00,
/// section "Channel Escrow Contract": a payer locks a TIP-20 deposit, the payee draws on it with
/// EIP-712 vouchers carrying a growing cumulative amount, and either side ends the channel
/// (the payee at once with `close`, the payer after a grace period with `requestClose` then
/// `withdraw`).
/// @dev Written for paywire from the draft's interface alone. Design choices the draft leaves
/// open are marked "Choice:" below.
contract Escrow {
    /// @notice A channel as the draft's `getChannel` returns it.
    struct Channel {
        address payer;
        address payee;
        address token;
        address authorizedSigner;
        uint128 deposit;
        uint128 settled;
        uint64 closeRequestedAt;
        bool finalized;
    }

    /// @dev Storage layout: five slots instead of six (payer, close timestamp and flag share
    /// one), and the signer slot stays empty when the payer signs its own vouchers.
    struct Record {
        address payer;
        uint64 closeRequestedAt;
        bool finalized;
        address payee;
        address token;
        address authorizedSigner;
        uint128 deposit;
        uint128 settled;
    }

    /// @notice How long the payee has to settle after the payer asks to close: 15 minutes.
    uint64 public constant CLOSE_GRACE_PERIOD = 15 minutes;

    /// @notice EIP-712 type hash of a voucher.
    bytes32 public constant VOUCHER_TYPEHASH =
        keccak256("Voucher(bytes32 channelId,uint128 cumulativeAmount)");

    /// @notice EIP-712 type hash of a close request.
    /// @dev Choice: the draft names this hash and `getCloseRequestDigest(channelId, requestedAt)`
    /// without spelling out the type; its fields are those of that function.
    bytes32 public constant CLOSE_REQUEST_TYPEHASH =
        keccak256("CloseRequest(bytes32 channelId,uint64 requestedAt)");

    bytes32 private constant DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );
    bytes32 private constant NAME_HASH = keccak256("Tempo Stream Channel");
    bytes32 private constant VERSION_HASH = keccak256("1");

    /// @dev secp256k1 order / 2: signatures with a larger `s` are refused (no malleability).
    uint256 private constant HALF_ORDER =
        0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    mapping(bytes32 channelId => Record) private records;

    event ChannelOpened(
        bytes32 indexed channelId,
        address indexed payer,
        address indexed payee,
        address token,
        address authorizedSigner,
        uint256 deposit
    );

    event Settled(
        bytes32 indexed channelId,
        address indexed payer,
        address indexed payee,
        uint256 cumulativeAmount,
        uint256 deltaPaid,
        uint256 newSettled
    );

    event CloseRequested(
        bytes32 indexed channelId,
        address indexed payer,
        address indexed payee,
        uint256 closeGraceEnd
    );

    event CloseRequestCancelled(
        bytes32 indexed channelId,
        address indexed payer,
        address indexed payee
    );

    event TopUp(
        bytes32 indexed channelId,
        address indexed payer,
        address indexed payee,
        uint256 additionalDeposit,
        uint256 newDeposit
    );

    event ChannelClosed(
        bytes32 indexed channelId,
        address indexed payer,
        address indexed payee,
        uint256 settledToPayee,
        uint256 refundedToPayer
    );

    error ChannelAlreadyExists();
    error ChannelNotFound();
    error ChannelFinalized();
    error InvalidSignature();
    error AmountExceedsDeposit();
    error AmountNotIncreasing();
    error NotPayer();
    error NotPayee();
    error TransferFailed();
    error CloseNotReady();

    /// @notice Opens a channel funded by the caller (the payer) with `deposit` of `token`.
    /// @dev The caller must have approved this contract for `deposit`. A channel id is never
    /// reused, not even after the channel is finalized, so old vouchers cannot come back.
    function open(
        address payee,
        address token,
        uint128 deposit,
        bytes32 salt,
        address authorizedSigner
    ) external returns (bytes32 channelId) {
        channelId = computeChannelId(msg.sender, payee, token, salt, authorizedSigner);
        Record storage record = records[channelId];
        if (record.payer != address(0)) revert ChannelAlreadyExists();
        record.payer = msg.sender;
        record.payee = payee;
        record.token = token;
        if (authorizedSigner != address(0)) record.authorizedSigner = authorizedSigner;
        record.deposit = deposit;
        pull(token, msg.sender, deposit);
        emit ChannelOpened(channelId, msg.sender, payee, token, authorizedSigner, deposit);
    }

    /// @notice Pays the payee up to `cumulativeAmount` (a total, not a delta) with a voucher.
    function settle(bytes32 channelId, uint128 cumulativeAmount, bytes calldata signature)
        external
    {
        Record storage record = live(channelId);
        if (msg.sender != record.payee) revert NotPayee();
        if (cumulativeAmount > record.deposit) revert AmountExceedsDeposit();
        if (cumulativeAmount <= record.settled) revert AmountNotIncreasing();
        verifyVoucher(record, channelId, cumulativeAmount, signature);
        uint128 delta = cumulativeAmount - record.settled;
        record.settled = cumulativeAmount;
        push(record.token, record.payee, delta);
        emit Settled(
            channelId, record.payer, record.payee, cumulativeAmount, delta, cumulativeAmount
        );
    }

    /// @notice Adds `additionalDeposit` to the channel; cancels a pending close request.
    function topUp(bytes32 channelId, uint128 additionalDeposit) external {
        Record storage record = live(channelId);
        if (msg.sender != record.payer) revert NotPayer();
        uint128 newDeposit = record.deposit + additionalDeposit;
        record.deposit = newDeposit;
        if (record.closeRequestedAt != 0) {
            record.closeRequestedAt = 0;
            emit CloseRequestCancelled(channelId, record.payer, record.payee);
        }
        pull(record.token, msg.sender, additionalDeposit);
        emit TopUp(channelId, record.payer, record.payee, additionalDeposit, newDeposit);
    }

    /// @notice Payee's cooperative close: settles up to `cumulativeAmount`, refunds the rest
    /// of the deposit to the payer and finalizes the channel.
    /// @dev Choice: with `cumulativeAmount == settled` nothing more is paid, so no signature is
    /// needed (the close only refunds the payer); below `settled` it reverts.
    function close(bytes32 channelId, uint128 cumulativeAmount, bytes calldata signature)
        external
    {
        Record storage record = live(channelId);
        if (msg.sender != record.payee) revert NotPayee();
        if (cumulativeAmount > record.deposit) revert AmountExceedsDeposit();
        if (cumulativeAmount < record.settled) revert AmountNotIncreasing();
        uint128 delta = cumulativeAmount - record.settled;
        if (delta > 0) {
            verifyVoucher(record, channelId, cumulativeAmount, signature);
            record.settled = cumulativeAmount;
        }
        finalize(channelId, record, delta);
    }

    /// @notice Payer's forced close, step one: starts the grace period. Asking again while a
    /// request is pending keeps the first request's time.
    function requestClose(bytes32 channelId) external {
        Record storage record = live(channelId);
        if (msg.sender != record.payer) revert NotPayer();
        if (record.closeRequestedAt != 0) return;
        record.closeRequestedAt = uint64(block.timestamp);
        emit CloseRequested(
            channelId, record.payer, record.payee, block.timestamp + CLOSE_GRACE_PERIOD
        );
    }

    /// @notice Payer's forced close, step two: once the grace period has passed, refunds what
    /// was not settled and finalizes the channel.
    function withdraw(bytes32 channelId) external {
        Record storage record = live(channelId);
        if (msg.sender != record.payer) revert NotPayer();
        uint64 requestedAt = record.closeRequestedAt;
        if (requestedAt == 0 || block.timestamp < uint256(requestedAt) + CLOSE_GRACE_PERIOD) {
            revert CloseNotReady();
        }
        finalize(channelId, record, 0);
    }

    /// @notice The channel `channelId`; all fields zero when no such channel was opened.
    function getChannel(bytes32 channelId) public view returns (Channel memory channel) {
        Record storage record = records[channelId];
        channel = Channel({
            payer: record.payer,
            payee: record.payee,
            token: record.token,
            authorizedSigner: record.authorizedSigner,
            deposit: record.deposit,
            settled: record.settled,
            closeRequestedAt: record.closeRequestedAt,
            finalized: record.finalized
        });
    }

    /// @notice Several channels at once, in the order asked.
    function getChannelsBatch(bytes32[] calldata channelIds)
        external
        view
        returns (Channel[] memory channels)
    {
        channels = new Channel[](channelIds.length);
        for (uint256 index = 0; index < channelIds.length; ++index) {
            channels[index] = getChannel(channelIds[index]);
        }
    }

    /// @notice The id `open` gives a channel: bound to this contract and this chain.
    function computeChannelId(
        address payer,
        address payee,
        address token,
        bytes32 salt,
        address authorizedSigner
    ) public view returns (bytes32) {
        return keccak256(
            abi.encode(payer, payee, token, salt, authorizedSigner, address(this), block.chainid)
        );
    }

    /// @notice The EIP-712 digest a voucher's signer signs.
    function getVoucherDigest(bytes32 channelId, uint128 cumulativeAmount)
        public
        view
        returns (bytes32)
    {
        return typedDigest(keccak256(abi.encode(VOUCHER_TYPEHASH, channelId, cumulativeAmount)));
    }

    /// @notice The EIP-712 digest of a close request.
    function getCloseRequestDigest(bytes32 channelId, uint64 requestedAt)
        external
        view
        returns (bytes32)
    {
        return typedDigest(keccak256(abi.encode(CLOSE_REQUEST_TYPEHASH, channelId, requestedAt)));
    }

    /// @notice EIP-712 domain separator: "Tempo Stream Channel", version "1", this chain, this
    /// contract. Computed on each call, so it follows the chain id.
    function domainSeparator() public view returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this))
        );
    }

    // ---- internals ----

    /// @dev The record of an existing, not finalized channel.
    function live(bytes32 channelId) private view returns (Record storage record) {
        record = records[channelId];
        if (record.payer == address(0)) revert ChannelNotFound();
        if (record.finalized) revert ChannelFinalized();
    }

    /// @dev Pays `delta` to the payee and the unsettled deposit back to the payer, then marks
    /// the channel finalized. `settledToPayee` in the event is the channel's total settled.
    function finalize(bytes32 channelId, Record storage record, uint128 delta) private {
        uint128 refund = record.deposit - record.settled;
        record.finalized = true;
        if (delta > 0) push(record.token, record.payee, delta);
        if (refund > 0) push(record.token, record.payer, refund);
        emit ChannelClosed(channelId, record.payer, record.payee, record.settled, refund);
    }

    function typedDigest(bytes32 structHash) private view returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", domainSeparator(), structHash));
    }

    /// @dev Reverts with InvalidSignature unless `signature` is a low-s ECDSA signature of the
    /// voucher by the channel's signer (the authorized signer, or the payer when none is set).
    /// Accepts 65-byte r||s||v (v = 27 or 28) and 64-byte EIP-2098 r||vs signatures.
    function verifyVoucher(
        Record storage record,
        bytes32 channelId,
        uint128 cumulativeAmount,
        bytes calldata signature
    ) private view {
        bytes32 r;
        bytes32 s;
        uint8 v;
        if (signature.length == 65) {
            r = bytes32(signature[0:32]);
            s = bytes32(signature[32:64]);
            v = uint8(signature[64]);
        } else if (signature.length == 64) {
            r = bytes32(signature[0:32]);
            bytes32 vs = bytes32(signature[32:64]);
            s = vs & bytes32(uint256(type(uint256).max >> 1));
            v = uint8(uint256(vs) >> 255) + 27;
        } else {
            revert InvalidSignature();
        }
        if (uint256(s) > HALF_ORDER || (v != 27 && v != 28)) revert InvalidSignature();
        address signer = ecrecover(getVoucherDigest(channelId, cumulativeAmount), v, r, s);
        address expected =
            record.authorizedSigner == address(0) ? record.payer : record.authorizedSigner;
        if (signer == address(0) || signer != expected) revert InvalidSignature();
    }

    /// @dev transferFrom(from, this, amount) on a TIP-20 (ERC-20) token, or TransferFailed.
    function pull(address token, address from, uint128 amount) private {
        call(token, abi.encodeCall(IToken.transferFrom, (from, address(this), amount)));
    }

    /// @dev transfer(to, amount) on a TIP-20 (ERC-20) token, or TransferFailed.
    function push(address token, address to, uint128 amount) private {
        call(token, abi.encodeCall(IToken.transfer, (to, amount)));
    }

    /// @dev A token call succeeds when the token has code, does not revert, and returns
    /// nothing or `true`.
    function call(address token, bytes memory data) private {
        if (token.code.length == 0) revert TransferFailed();
        (bool success, bytes memory result) = token.call(data);
        if (!success || (result.length != 0 && (result.length != 32 || !abi.decode(result, (bool)))))
        {
            revert TransferFailed();
        }
    }
}

/// @dev The part of TIP-20 (ERC-20) the escrow calls.
interface IToken {
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}
