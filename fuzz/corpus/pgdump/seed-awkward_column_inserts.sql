--
-- PostgreSQL database dump
--

\restrict DPihzhmwFrMQE2NFpQGeeNctt7z0ALonNc19qWgOBTxBTbA8VUIK3Adq2y524xG

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: shipments; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.shipments (
    shipment_id text NOT NULL,
    import_date date NOT NULL,
    quarter text NOT NULL,
    cn_code text NOT NULL,
    product_group text,
    product_description text,
    origin_iso character(2) NOT NULL,
    origin_country text,
    importer_name text,
    importer_country text,
    net_mass_kg numeric(14,3) NOT NULL,
    port_of_entry text,
    importer_reference text,
    has_actual_emissions text,
    supplier_id text,
    notes text,
    created_by text,
    mass_estimate double precision
);


ALTER TABLE public.shipments OWNER TO postgres;

--
-- Name: suppliers; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.suppliers (
    supplier_id text NOT NULL,
    name text,
    country character(2)
);


ALTER TABLE public.suppliers OWNER TO postgres;

--
-- Data for Name: shipments; Type: TABLE DATA; Schema: public; Owner: postgres
--

INSERT INTO public.shipments (shipment_id, import_date, quarter, cn_code, product_group, product_description, origin_iso, origin_country, importer_name, importer_country, net_mass_kg, port_of_entry, importer_reference, has_actual_emissions, supplier_id, notes, created_by, mass_estimate) VALUES ('AWK-01', '2025-10-02', '2025Q4', '07208100', 'steel', 'O''Brien "quoted", with commas', 'TR', 'Türkiye', 'Noordzee Staal Import BV', 'NL', 1000.500, 'Rotterdam', 'R-1', 'NO', NULL, 'tab	here
new line', 'etl', 0.1);
INSERT INTO public.shipments (shipment_id, import_date, quarter, cn_code, product_group, product_description, origin_iso, origin_country, importer_name, importer_country, net_mass_kg, port_of_entry, importer_reference, has_actual_emissions, supplier_id, notes, created_by, mass_estimate) VALUES ('AWK-02', '2025-10-03', '2025Q4', '7208 10 00', 'steel', 'back\slash C:\temp\new', 'CN', '中国 (China) 鋼鉄 🏭', '', 'NL', 2.000, '', '', 'YES', 'SUP-1', '\.', NULL, -1.5e-07);
INSERT INTO public.shipments (shipment_id, import_date, quarter, cn_code, product_group, product_description, origin_iso, origin_country, importer_name, importer_country, net_mass_kg, port_of_entry, importer_reference, has_actual_emissions, supplier_id, notes, created_by, mass_estimate) VALUES ('AWK-03', '2025-10-04', '2025Q4', '7208.10.00', 'steel', '\N is text, not NULL', 'IN', 'India', NULL, 'NL', 0.001, NULL, NULL, NULL, NULL, 'carriagereturn', '', 1e+300);
INSERT INTO public.shipments (shipment_id, import_date, quarter, cn_code, product_group, product_description, origin_iso, origin_country, importer_name, importer_country, net_mass_kg, port_of_entry, importer_reference, has_actual_emissions, supplier_id, notes, created_by, mass_estimate) VALUES ('AWK-04', '2025-10-05', '2025Q4', '25231000', 'cement', ' leading and trailing spaces ', 'EG', 'Egypt', 'Zoë "Z" Ltd, Inc.', 'NL', 999999999.999, 'Antwerp;Gent', 'a|b', 'NO', '', 'bell and formfeed and vtab', 'x', 'NaN');
INSERT INTO public.shipments (shipment_id, import_date, quarter, cn_code, product_group, product_description, origin_iso, origin_country, importer_name, importer_country, net_mass_kg, port_of_entry, importer_reference, has_actual_emissions, supplier_id, notes, created_by, mass_estimate) VALUES ('AWK-05', '2025-10-06', '2025Q4', '72081000', 'steel', '', 'UA', 'Ukraine', 'Ünïcödé', 'NL', 0.000, 'Rotterdam', 'R-5', 'NO', NULL, 'NULL', 'null', 'Infinity');


--
-- Data for Name: suppliers; Type: TABLE DATA; Schema: public; Owner: postgres
--

INSERT INTO public.suppliers (supplier_id, name, country) VALUES ('SUP-1', 'Tab\there', 'CN');
INSERT INTO public.suppliers (supplier_id, name, country) VALUES ('SUP-2', NULL, 'TR');
INSERT INTO public.suppliers (supplier_id, name, country) VALUES ('SUP-3', '''quoted''', NULL);


--
-- Name: shipments shipments_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.shipments
    ADD CONSTRAINT shipments_pkey PRIMARY KEY (shipment_id);


--
-- Name: suppliers suppliers_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.suppliers
    ADD CONSTRAINT suppliers_pkey PRIMARY KEY (supplier_id);


--
-- PostgreSQL database dump complete
--

\unrestrict DPihzhmwFrMQE2NFpQGeeNctt7z0ALonNc19qWgOBTxBTbA8VUIK3Adq2y524xG

