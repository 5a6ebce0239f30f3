"""``make bench``: speed and memory of the assistant, written to ``reports/bench/``.

One run measures, on generated knowledge bases of 1k, 10k and 100k ~100-word passages
(the bundled sample, recombined and moved to other places — see :mod:`eval.bench.corpus`):

* a chat turn over HTTP (a real uvicorn process, httpx clients), p50/p95 with one client
  and with 8 concurrent clients, and turns per second;
* where a turn's time goes, stage by stage, with cold and with warm caches;
* retrieval alone against LangChain's usual hybrid (FAISS + BM25Retriever in an
  EnsembleRetriever), and the recall@10 of both;
* ingestion passages per second, peak RSS, index size on disk, time to ``/readyz``;
* the vector index alone at 1M vectors: memory, build time, p95 query, recall@10.

``--quick`` runs 1k and 10k without the 1M case; ``--sizes`` picks sizes; ``--reuse``
keeps ingested knowledge bases between runs. Results: ``bench.json``, ``bench.md``
(also printed) and ``bench.png``.
"""
