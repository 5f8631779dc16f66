"""Malformed commands, as hypothesis draws them: valid commands with one word made wrong, and anything at all.

Shared by the fuzzed commands (integration) and the fuzzed Slack payloads (end to end).
"""
from hypothesis import strategies as st

VALID = [
    '/visit propose @tom 2027-02-04 P3 30m kind formal focus "questioning" feedback "after school"',
    "/visit agree 1",
    '/visit decline 1 "exams"',
    "/visit suggest 1 2027-02-05 P2",
    "/visit move 1 2027-02-05 P2 20m",
    '/visit notes 1 "wait time"',
    "/visit record 1 agree",
    "/visit limits @tom",
    "/visit show 1",
    '/walk plan 2027-03-10 09:00-11:00 focus "books" walkers @rachel',
    '/walk cancel 1 "snow"',
]
# Each is wrong in a way the grammar or the services must catch.
BAD_TOKENS = ["@", "@nobody", "#x", "0", "-1", "99999999999", "31 Feb", "2027-13-01", "25:00", "10:61",
              "P9", "0m", "-5m", "999h", '"unclosed', "kind", "kind lecture", "with", "focus", "‽", "\x00",
              "<@>", "<@U123|", "twelve", "yesterday-ish", "1/0", "12:00pm:00", "'", "“smart"]


def mutate(draw) -> str:
    words = draw(st.sampled_from(VALID)).split(" ")
    bad = draw(st.sampled_from(BAD_TOKENS))
    how = draw(st.sampled_from(["replace", "insert", "append", "truncate"]))
    at = draw(st.integers(min_value=2, max_value=max(2, len(words) - 1)))
    if how == "replace":
        words[min(at, len(words) - 1)] = bad
    elif how == "insert":
        words.insert(at, bad)
    elif how == "append":
        words.append(bad)
    else:
        words = words[:2] + [bad]
    return " ".join(words)


malformed = st.one_of(
    st.composite(mutate)(),
    st.text(max_size=80),  # anything at all
    st.builds(lambda verb, rest: f"/visit {verb} {rest}",
              st.sampled_from(["propose", "agree", "suggest", "move", "dialogue", "record", "object", "limits",
                               "frobnicate"]),
              st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)),
)
