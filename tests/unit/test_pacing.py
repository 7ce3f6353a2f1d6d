"""Token buckets: bursts, steady rates, waits Telegram asks for, and forgetting chats that
went quiet."""

from __future__ import annotations

from bot.core.pacing import ChatBuckets, Pacing, Rate, TokenBucket
from tests.memory import memory_kept


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_steady_rate():
    clock = Clock()
    buckets: ChatBuckets[int] = ChatBuckets(lambda chat: Rate(per_second=0.5, burst=3), clock)
    assert [buckets.try_spend(1) for _ in range(4)] == [True, True, True, False]
    assert buckets.ready_in(1) == 2.0
    clock.now += 2.0
    assert buckets.try_spend(1)
    assert not buckets.try_spend(1)


def test_chats_have_their_own_buckets():
    buckets: ChatBuckets[int] = ChatBuckets(lambda chat: Rate(1, 1), Clock())
    assert buckets.try_spend(1)
    assert not buckets.try_spend(1)
    assert buckets.try_spend(2), "another chat is not held back by chat 1"


def test_spend_may_overdraw_and_the_debt_is_waited_out():
    clock = Clock()
    buckets: ChatBuckets[int] = ChatBuckets(lambda chat: Rate(1, 1), clock)
    buckets.spend(1)
    buckets.spend(1)  # a message that went anyway (a reply): it is owed
    assert buckets.ready_in(1) == 2.0


def test_groups_and_channels_get_the_group_rate_private_chats_theirs():
    pacing = Pacing(private_per_second=1, private_burst=3, group_per_minute=20)
    assert pacing.rate_of(5) == Rate(1, 3)
    assert pacing.rate_of(-100123) == Rate(20 / 60, 20)
    assert pacing.rate_of("@channel") == Rate(20 / 60, 20)


def test_full_buckets_are_forgotten_so_memory_follows_active_chats():
    clock = Clock()
    buckets: ChatBuckets[int] = ChatBuckets(lambda chat: Rate(1, 1), clock)

    def spend(chats: range) -> None:
        for chat in chats:
            buckets.spend(chat)
            clock.now += 0.01  # each bucket is full again after a second

    assert memory_kept(spend, warm_up=30_000, then=60_000) < 500_000, "60,000 chats more, no more memory"
    assert buckets.ready_in(89_999) > 0, "a chat still refilling is remembered"


def test_room_for_several_messages_is_waited_for_up_to_the_burst():
    clock = Clock()
    buckets: ChatBuckets[int] = ChatBuckets(lambda chat: Rate(per_second=1, burst=3), clock)
    buckets.spend(1)
    buckets.spend(1)
    buckets.spend(1)
    assert buckets.ready_in(1, 2) == 2.0
    assert buckets.ready_in(1, 5) == 3.0, "never more than a full bucket"


def test_one_bucket_gives_its_burst_then_its_rate():
    clock = Clock()
    bucket = TokenBucket(Rate(per_second=30, burst=30), clock)
    for _ in range(30):
        assert bucket.ready_in() == 0
        bucket.spend()
    assert bucket.ready_in() == 1 / 30
    clock.now += 1 / 30
    assert bucket.ready_in() == 0


def test_a_hold_lets_nothing_through_for_that_long_then_one_at_the_rate():
    clock = Clock()
    bucket = TokenBucket(Rate(per_second=30, burst=30), clock)
    bucket.hold(2.0)  # Telegram answered 429 with retry_after 2
    assert abs(bucket.ready_in() - 2.0) < 1e-9
    clock.now += 2.0
    assert bucket.ready_in() == 0
    bucket.spend()
    assert abs(bucket.ready_in() - 1 / 30) < 1e-9, "not a whole burst at once after the wait"
    bucket.hold(0.5)
    assert bucket.ready_in() > 1 / 30 - 1e-9, "a shorter hold does not cut a longer wait short"
