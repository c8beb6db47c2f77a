"""Help for the people handling a ticket: its summary and key fields, a draft reply. Offline by
default; with a large model configured, generated text is offered only after it has passed the checks
of hotline.llm.checks against what the platform knows (the text, the gazetteer, the ticket's record,
the KB), and is always marked as generated."""
