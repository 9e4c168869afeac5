DROP TABLE retained_stanzas;
