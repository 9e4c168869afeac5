DROP TABLE certificate_authority;
