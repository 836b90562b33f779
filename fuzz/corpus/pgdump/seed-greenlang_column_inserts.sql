--
-- PostgreSQL database dump
--

\restrict hN5NnyHJcp0yPQ9geYhsCCfBsEV8xEpxcZUnbB9bLt9KrDmO7X4a8VRCPSnKCR0

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

INSERT INTO public.shipments (shipment_id, import_date, quarter, cn_code, product_group, product_description, origin_iso, origin_country, importer_name, importer_country, net_mass_kg, port_of_entry, importer_reference, has_actual_emissions, supplier_id, notes, created_by, mass_estimate) VALUES
	('FX-2025Q4-0001', '2025-10-01', '2025Q4', '25231000', 'cement', 'Cement clinker', 'TR', 'Turkey', 'Noordzee Staal Import BV', 'NL', 24560.000, 'Rotterdam', 'NZS-2025-01007', 'NO', NULL, 'Grey clinker, bulk vessel', 'import', 24.56),
	('FX-2025Q4-0002', '2025-10-03', '2025Q4', '25232900', 'cement', 'Grey portland cement', 'EG', 'Egypt', 'Noordzee Staal Import BV', 'NL', 12450.500, 'Rotterdam', 'NZS-2025-01014', 'NO', NULL, 'Bagged CEM I 42.5', 'import', 12.4505),
	('FX-2025Q4-0003', '2025-10-06', '2025Q4', '25232100', 'cement', 'White portland cement', 'TR', 'Turkey', 'Noordzee Staal Import BV', 'NL', 8200.000, 'Vlissingen', 'NZS-2025-01021', 'YES', 'SUP-FX-03', 'White cement, bagged; supplier only produces grey', 'import', 8.2);
INSERT INTO public.shipments (shipment_id, import_date, quarter, cn_code, product_group, product_description, origin_iso, origin_country, importer_name, importer_country, net_mass_kg, port_of_entry, importer_reference, has_actual_emissions, supplier_id, notes, created_by, mass_estimate) VALUES
	('FX-2025Q4-0004', '2025-10-09', '2025Q4', '72081000', 'steel', 'Hot-rolled coils with patterns in relief', 'KR', 'South Korea', 'Noordzee Staal Import BV', 'NL', 18750.000, 'Rotterdam', 'NZS-2025-01028', 'YES', 'SUP-FX-01', 'Per-CN supplier actuals (verified 2024)', 'import', 18.75),
	('FX-2025Q4-0005', '2025-10-14', '2025Q4', '7208 10 00', 'steel', 'Hot-rolled coils with patterns in relief', 'CN', 'China', 'Noordzee Staal Import BV', 'NL', 14230.000, 'Antwerp', 'NZS-2025-01035', 'NO', NULL, 'CN code as printed on the invoice (spaces)', 'import', 14.23),
	('FX-2025Q4-0006', '2025-10-17', '2025Q4', '72031000', 'steel', 'Direct reduced iron (HBI)', 'RU', 'Russia', 'Noordzee Staal Import BV', 'NL', 9800.000, 'Amsterdam', 'NZS-2025-01042', 'NO', NULL, 'Hot briquetted iron', 'import', 9.8);
INSERT INTO public.shipments (shipment_id, import_date, quarter, cn_code, product_group, product_description, origin_iso, origin_country, importer_name, importer_country, net_mass_kg, port_of_entry, importer_reference, has_actual_emissions, supplier_id, notes, created_by, mass_estimate) VALUES
	('FX-2025Q4-0007', '2025-10-21', '2025Q4', '72104900', 'steel', 'Hot-dip galvanised sheet', 'KR', 'South Korea', 'Noordzee Staal Import BV', 'NL', 6400.750, 'Rotterdam', 'NZS-2025-01049', 'NO', 'SUP-FX-01', 'Supplier known, actuals not claimed', 'import', 6.40075),
	('FX-2025Q4-0008', '2025-10-24', '2025Q4', '73041100', 'steel', 'Seamless line pipe of stainless steel', 'CN', 'China', 'Noordzee Staal Import BV', 'NL', 3150.000, 'Rotterdam', 'NZS-2025-01056', 'NO', NULL, 'Line pipe for oil/gas', 'import', 3.15),
	('FX-2025Q4-0009', '2025-10-28', '2025Q4', '73182200', 'steel', 'Washers', 'CN', 'China', 'Noordzee Staal Import BV', 'NL', 0.125, 'Rotterdam', 'NZS-2025-01063', 'NO', NULL, 'Sample consignment, 125 g', 'import', 0.000125);
INSERT INTO public.shipments (shipment_id, import_date, quarter, cn_code, product_group, product_description, origin_iso, origin_country, importer_name, importer_country, net_mass_kg, port_of_entry, importer_reference, has_actual_emissions, supplier_id, notes, created_by, mass_estimate) VALUES
	('FX-2025Q4-0010', '2025-11-03', '2025Q4', '73182200', 'steel', 'Washers', 'CN', 'China', 'Noordzee Staal Import BV', 'NL', 2750.000, 'Rotterdam', 'NZS-2025-01070', 'YES', 'SUP-FX-06', 'Supplier actuals not verified', 'import', 2.75),
	('FX-2025Q4-0011', '2025-11-05', '2025Q4', '26011200', 'steel', 'Agglomerated iron ore pellets', 'BR', 'Brazil', 'Noordzee Staal Import BV', 'NL', 1000000.000, 'Rotterdam', 'NZS-2025-01077', 'YES', 'SUP-FX-05', 'Pellets; supplier has no actual data', 'import', 1000),
	('FX-2025Q4-0012', '2025-11-07', '2025Q4', '7601.10.00', 'aluminum', 'Unwrought aluminium, not alloyed', 'RU', 'Russia', 'Noordzee Staal Import BV', 'NL', 5420.000, 'Rotterdam', 'NZS-2025-01084', 'NO', NULL, 'CN code written with dots', 'import', 5.42);
INSERT INTO public.shipments (shipment_id, import_date, quarter, cn_code, product_group, product_description, origin_iso, origin_country, importer_name, importer_country, net_mass_kg, port_of_entry, importer_reference, has_actual_emissions, supplier_id, notes, created_by, mass_estimate) VALUES
	('FX-2025Q4-0013', '2025-11-12', '2025Q4', '76011000', 'aluminum', 'Unwrought aluminium, not alloyed', 'IN', 'India', 'Noordzee Staal Import BV', 'NL', 6780.000, 'Rotterdam', 'NZS-2025-01091', 'YES', 'SUP-FX-02', 'Supplier general actuals (verified 2024)', 'import', 6.78),
	('FX-2025Q4-0014', '2025-11-14', '2025Q4', '76012000', 'aluminum', 'Unwrought aluminium alloys', 'UA', 'Ukraine', 'Noordzee Staal Import BV', 'NL', 4230.000, 'Hamburg', 'NZS-2025-01098', 'NO', NULL, 'Billets', 'import', 4.23),
	('FX-2025Q4-0015', '2025-11-18', '2025Q4', '76041010', 'aluminum', 'Bars and rods of non-alloy aluminium', 'TR', 'Turkey', 'Noordzee Staal Import BV', 'NL', 2310.400, 'Rotterdam', 'NZS-2025-01105', 'NO', NULL, 'Extruded in Türkiye', 'import', 2.3104);
INSERT INTO public.shipments (shipment_id, import_date, quarter, cn_code, product_group, product_description, origin_iso, origin_country, importer_name, importer_country, net_mass_kg, port_of_entry, importer_reference, has_actual_emissions, supplier_id, notes, created_by, mass_estimate) VALUES
	('FX-2025Q4-0016', '2025-11-20', '2025Q4', '76069200', 'aluminum', 'Aluminium alloy plates, non-rectangular', 'CN', 'China', 'Noordzee Staal Import BV', 'NL', 3875.000, 'Antwerp', 'NZS-2025-01112', 'NO', NULL, 'Cut plates', 'import', 3.875),
	('FX-2025Q4-0017', '2025-11-25', '2025Q4', '28141000', 'fertilizers', 'Anhydrous ammonia', 'EG', 'Egypt', 'Noordzee Staal Import BV', 'NL', 15680.000, 'Rotterdam', 'NZS-2025-01119', 'YES', 'SUP-FX-04', 'Supplier data from 2021 (stale)', 'import', 15.68),
	('FX-2025Q4-0018', '2025-11-27', '2025Q4', '31021000', 'fertilizers', 'Urea', 'EG', 'Egypt', 'Noordzee Staal Import BV', 'NL', 18900.000, 'Rotterdam', 'NZS-2025-01126', 'NO', NULL, 'Granular urea', 'import', 18.9);
INSERT INTO public.shipments (shipment_id, import_date, quarter, cn_code, product_group, product_description, origin_iso, origin_country, importer_name, importer_country, net_mass_kg, port_of_entry, importer_reference, has_actual_emissions, supplier_id, notes, created_by, mass_estimate) VALUES
	('FX-2025Q4-0019', '2025-12-02', '2025Q4', '28080000', 'fertilizers', 'Nitric acid', 'UA', 'Ukraine', 'Noordzee Staal Import BV', 'NL', 7300.000, 'Rotterdam', 'NZS-2025-01133', 'NO', NULL, 'Tank containers', 'import', 7.3),
	('FX-2025Q4-0020', '2025-12-04', '2025Q4', '28041000', 'hydrogen', 'Hydrogen', 'US', 'United States', 'Noordzee Staal Import BV', 'NL', 1250.000, 'Rotterdam', 'NZS-2025-01140', 'YES', 'SUP-FX-99', 'Supplier id not in the supplier file', 'import', 1.25),
	('FX-2025Q4-0021', '2025-12-09', '2025Q4', '72044900', 'steel', 'Ferrous waste and scrap', 'UA', 'Ukraine', 'Noordzee Staal Import BV', 'NL', 8750.000, 'Rotterdam', 'NZS-2025-01147', 'NO', NULL, 'Scrap: outside CBAM scope', 'import', 8.75);
INSERT INTO public.shipments (shipment_id, import_date, quarter, cn_code, product_group, product_description, origin_iso, origin_country, importer_name, importer_country, net_mass_kg, port_of_entry, importer_reference, has_actual_emissions, supplier_id, notes, created_by, mass_estimate) VALUES
	('FX-2025Q4-0022', '2025-12-11', '2025Q4', '72081000', 'steel', 'Hot-rolled coils with patterns in relief', 'IN', 'India', 'Noordzee Staal Import BV', 'NL', 16540.000, 'Rotterdam', 'NZS-2025-01154', 'YES', NULL, 'Actuals claimed but no supplier given', 'import', 16.54),
	('FX-2025Q4-0023', '2025-12-16', '2025Q4', '25232900', 'cement', 'Grey portland cement', 'US', 'United States', 'Noordzee Staal Import BV', 'NL', 21340.000, 'Amsterdam', 'NZS-2025-01161', 'NO', NULL, NULL, 'import', 21.34),
	('FX-2025Q4-0024', '2025-12-31', '2025Q4', '72104900', 'steel', 'Hot-dip galvanised sheet', 'BR', 'Brazil', 'Noordzee Staal Import BV', 'NL', 5100.000, 'Rotterdam', 'NZS-2025-01168', 'NO', NULL, 'Last day of the quarter', 'import', 5.1);


--
-- Data for Name: suppliers; Type: TABLE DATA; Schema: public; Owner: postgres
--



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

\unrestrict hN5NnyHJcp0yPQ9geYhsCCfBsEV8xEpxcZUnbB9bLt9KrDmO7X4a8VRCPSnKCR0

