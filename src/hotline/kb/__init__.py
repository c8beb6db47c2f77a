"""Knowledge base (知识库) and intelligent Q&A (智能问答): articles with versions and validity,
passages, Chinese BM25 retrieval over the KB and past tickets, answers that name their sources."""
