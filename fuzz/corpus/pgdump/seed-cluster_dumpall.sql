--
-- PostgreSQL database cluster dump
--

\restrict X7XneRgjQo3zGSGny4IOaZivtI8otC2TnZTP63EIEIAbzV33DnDJ8ax8ahL6tZW

SET default_transaction_read_only = off;

SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;

--
-- Roles
--

CREATE ROLE postgres;
ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;

--
-- User Configurations
--








\unrestrict X7XneRgjQo3zGSGny4IOaZivtI8otC2TnZTP63EIEIAbzV33DnDJ8ax8ahL6tZW

--
-- Databases
--

--
-- Database "template1" dump
--

\connect template1

--
-- PostgreSQL database dump
--

\restrict bi4podlJIU3aPfqY8RoFZFGEbYzRglPrB9t7uBxo19UcUD0LQvecLTx4ZHmAuUN

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

--
-- PostgreSQL database dump complete
--

\unrestrict bi4podlJIU3aPfqY8RoFZFGEbYzRglPrB9t7uBxo19UcUD0LQvecLTx4ZHmAuUN

--
-- Database "greenlang" dump
--

--
-- PostgreSQL database dump
--

\restrict lrRVagy5CHVOeNCyweJNEWg3RncRGrjzLlSHkV1BTlWWnZjwP5VVbgKFl1VDmz7

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

--
-- Name: greenlang; Type: DATABASE; Schema: -; Owner: postgres
--

CREATE DATABASE greenlang WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8';


ALTER DATABASE greenlang OWNER TO postgres;

\unrestrict lrRVagy5CHVOeNCyweJNEWg3RncRGrjzLlSHkV1BTlWWnZjwP5VVbgKFl1VDmz7
\connect greenlang
\restrict lrRVagy5CHVOeNCyweJNEWg3RncRGrjzLlSHkV1BTlWWnZjwP5VVbgKFl1VDmz7

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

COPY public.shipments (shipment_id, import_date, quarter, cn_code, product_group, product_description, origin_iso, origin_country, importer_name, importer_country, net_mass_kg, port_of_entry, importer_reference, has_actual_emissions, supplier_id, notes, created_by, mass_estimate) FROM stdin;
AWK-01	2025-10-02	2025Q4	07208100	steel	O'Brien "quoted", with commas	TR	Türkiye	Noordzee Staal Import BV	NL	1000.500	Rotterdam	R-1	NO	\N	tab\there\nnew line	etl	0.1
AWK-02	2025-10-03	2025Q4	7208 10 00	steel	back\\slash C:\\temp\\new	CN	中国 (China) 鋼鉄 🏭		NL	2.000			YES	SUP-1	\\.	\N	-1.5e-07
AWK-03	2025-10-04	2025Q4	7208.10.00	steel	\\N is text, not NULL	IN	India	\N	NL	0.001	\N	\N	\N	\N	carriage\rreturn		1e+300
AWK-04	2025-10-05	2025Q4	25231000	cement	 leading and trailing spaces 	EG	Egypt	Zoë "Z" Ltd, Inc.	NL	999999999.999	Antwerp;Gent	a|b	NO		bell and form\ffeed and vtab\v	x	NaN
AWK-05	2025-10-06	2025Q4	72081000	steel		UA	Ukraine	Ünïcödé	NL	0.000	Rotterdam	R-5	NO	\N	NULL	null	Infinity
\.


--
-- Data for Name: suppliers; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.suppliers (supplier_id, name, country) FROM stdin;
SUP-1	Tab\\there	CN
SUP-2	\N	TR
SUP-3	'quoted'	\N
\.


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

\unrestrict lrRVagy5CHVOeNCyweJNEWg3RncRGrjzLlSHkV1BTlWWnZjwP5VVbgKFl1VDmz7

--
-- Database "greenlang_archive" dump
--

--
-- PostgreSQL database dump
--

\restrict DiXkyyuBWJKxU0bAWmon1dV5DrFIAnm7caWY6EVPtXCNu4I9zR5K8k3w0AI16hf

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

--
-- Name: greenlang_archive; Type: DATABASE; Schema: -; Owner: postgres
--

CREATE DATABASE greenlang_archive WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8';


ALTER DATABASE greenlang_archive OWNER TO postgres;

\unrestrict DiXkyyuBWJKxU0bAWmon1dV5DrFIAnm7caWY6EVPtXCNu4I9zR5K8k3w0AI16hf
\connect greenlang_archive
\restrict DiXkyyuBWJKxU0bAWmon1dV5DrFIAnm7caWY6EVPtXCNu4I9zR5K8k3w0AI16hf

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

COPY public.shipments (shipment_id, import_date, quarter, cn_code, product_group, product_description, origin_iso, origin_country, importer_name, importer_country, net_mass_kg, port_of_entry, importer_reference, has_actual_emissions, supplier_id, notes, created_by, mass_estimate) FROM stdin;
ARCH-1	2024-01-10	2024Q1	72081000	\N	\N	TR	\N	\N	\N	500.000	\N	\N	\N	\N	\N	\N	\N
\.


--
-- Data for Name: suppliers; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.suppliers (supplier_id, name, country) FROM stdin;
\.


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

\unrestrict DiXkyyuBWJKxU0bAWmon1dV5DrFIAnm7caWY6EVPtXCNu4I9zR5K8k3w0AI16hf

--
-- Database "postgres" dump
--

\connect postgres

--
-- PostgreSQL database dump
--

\restrict lbrlF8CxiJVNpDcmXEc4chablioikEStWmWd4z8mLwjMKPtcogxE3iLofsRM8hW

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

--
-- PostgreSQL database dump complete
--

\unrestrict lbrlF8CxiJVNpDcmXEc4chablioikEStWmWd4z8mLwjMKPtcogxE3iLofsRM8hW

--
-- PostgreSQL database cluster dump complete
--

