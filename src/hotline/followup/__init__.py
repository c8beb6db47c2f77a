"""Follow-up (回访): a task for every replied ticket, a survey link by SMS or an operator's call, the
citizen's words classified, and a reopen (重办) when the fault is the department's."""
