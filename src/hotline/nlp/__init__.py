"""Chinese text processing shared by dispatch, search and assistance: normalisation, jieba, stopwords."""
