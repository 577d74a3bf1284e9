"""Answers: from a finished thread (or a failure) to what one requester sees.

`plan` decides what to send from facts alone (pure); `executor` gathers those facts and carries
the plan out through `delivery`; `pages` publishes long threads (Telegraph, the bot's own page);
`callback_data` names a thread in the buttons under an answer; `texts` holds the sentences.
"""
