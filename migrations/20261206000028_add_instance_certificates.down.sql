DROP TABLE instance_certificates;
