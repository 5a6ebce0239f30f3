"""Documents in, index out: loaders, chunking, embeddings, vector and lexical indexes."""
