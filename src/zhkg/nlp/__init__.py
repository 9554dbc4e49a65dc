"""Language resources and models: sentences and jieba's words (`segment`, `wordseg`), the CRF
tagger (`tagger`, `crf`, `train`), the gazetteer's places, the vocabularies of public life, names
run together, and the company relation classifier (`company_relations`, `train_relations`)."""
