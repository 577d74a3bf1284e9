"""Following threads: answers that grow while the author keeps posting.

`records` keeps who follows what and when each thread is checked next (memory and Redis);
`changes` compares a fresh fetch with the last snapshot (pure); `tick` hands due threads to the
queue as fresh checks; `checks` settles a check: reschedules it and, when the thread changed,
has every follower's answer re-rendered.
"""
