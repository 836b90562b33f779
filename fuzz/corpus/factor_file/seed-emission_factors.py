# -*- coding: utf-8 -*-
# ---------------------------------------------------------------------------
# cbam test fixture: NOT the production file.
#
# Re-created from docs/domain/production-system.md §3c (the table of the
# GreenLang "CBAM Importer Copilot" v1.0.0 demo module data/emission_factors.py,
# VERSION "1.0.0-demo", LAST_UPDATED 2025-10-15) for interoperability tests:
# `cbam report --emission-factors fixtures/greenlang/emission_factors.py` must
# load this module's dict literals without a Python interpreter.
#
# Kept as in the production module: variable names, the per-sector dicts in the
# order CEMENT, STEEL, ALUMINUM, FERTILIZER, HYDROGEN, the merged
# EMISSION_FACTORS_DB, the key names of every entry, the factor values written
# with three decimals (0.900, 10.000, ...), `source` strings verbatim, and the
# helper function names/signatures (get_emission_factor_by_cn_code returns a
# list; the production calculator takes element [0]).
# Written for this fixture: the prose in product_name / scope / notes, the
# docstrings and the function bodies.  Some strings use single quotes, one
# `notes` value uses implicit string concatenation and some lines carry
# trailing comments, on purpose: the Rust loader must accept real-world
# Python literal syntax.
#
# With the production system's v1 logic these values reproduce its demo run:
# total 663.91 tCO2, direct 408.70, indirect 255.21 (6 actual / 14 default).
# ---------------------------------------------------------------------------
"""
CBAM Emission Factors Database (Demo Mode - Synthetic Data)

Illustrative emission factors compiled from publicly available literature.
These values are for DEMONSTRATION PURPOSES ONLY and should NOT be used for
actual CBAM filings.

For real CBAM filings use the official default values published by the
European Commission:
https://taxation-customs.ec.europa.eu/carbon-border-adjustment-mechanism_en

Sources:
- IEA - Cement Technology Roadmap 2018
- IPCC - 2006 Guidelines and 2019 Refinement
- World Steel Association - Steel Climate Impact Report 2023
- IAI (International Aluminium Institute) - GHG Protocol 2023
- IEA - Global Hydrogen Review 2023

Units: tCO2e per metric ton of product.
"""

from typing import Dict, Any, List
from datetime import datetime

# Version and metadata
VERSION = "1.0.0-demo"
LAST_UPDATED = '2025-10-15'
DISCLAIMER = (
    "⚠️  DEMO MODE: illustrative emission factors from public sources. "
    "For actual CBAM filings, use official EU Commission default values."
)


# ============================================================================
# CEMENT & CEMENT CLINKER
# ============================================================================

CEMENT_FACTORS = {
    "cement_portland_grey": {
        "product_name": "Portland Cement (Grey)",
        "cbam_product_group": "cement",
        "cn_codes": ["25231000"],  # NB: 2523 10 00 is clinker in the CN
        "default_direct_tco2_per_ton": 0.766,
        "default_indirect_tco2_per_ton": 0.134,
        "default_total_tco2_per_ton": 0.900,
        "source": "IEA Cement Technology Roadmap 2018, Table 4.2",
        "source_url": "https://www.iea.org/reports/technology-roadmap-low-carbon-transition-in-the-cement-industry",
        "vintage": 2018,
        "uncertainty_pct": 15,
        "scope": "Cradle-to-gate: clinker burning and cement grinding",
        "notes": (
            "Grey portland cement average; direct = kiln fuel and calcination, "
            'indirect = purchased electricity'
        ),
    },
    "cement_portland_white": {
        "product_name": "Portland Cement (White)",
        "cbam_product_group": "cement",
        "cn_codes": ["25232900"],
        "default_direct_tco2_per_ton": 0.855,
        "default_indirect_tco2_per_ton": 0.150,
        "default_total_tco2_per_ton": 1.005,
        "source": "IEA Cement Technology Roadmap 2018 + industry corrections",
        "source_url": "https://www.iea.org/reports/technology-roadmap-low-carbon-transition-in-the-cement-industry",
        "vintage": 2018,
        "uncertainty_pct": 18,
        "scope": "Cradle-to-gate",
        "notes": "White cement: higher kiln temperature and purity requirements",
    },
    "cement_clinker": {
        "product_name": 'Cement Clinker',
        "cbam_product_group": "cement",
        "cn_codes": ["25231010"],  # not a code in cn_codes.json (orphaned)
        "default_direct_tco2_per_ton": 0.850,
        "default_indirect_tco2_per_ton": 0.100,
        "default_total_tco2_per_ton": 0.950,
        "source": "IPCC 2006 Guidelines Volume 3, Chapter 2",
        "source_url": "https://www.ipcc-nggip.iges.or.jp/public/2006gl/",
        "vintage": 2006,
        "uncertainty_pct": 12,
        "scope": "Process (calcination) + fuel combustion",
        "notes": "Intermediate product, before grinding into cement",
    },
}


# ============================================================================
# STEEL & IRON PRODUCTS
# ============================================================================

STEEL_FACTORS = {
    "steel_basic_oxygen_furnace": {
        "product_name": "Steel (Basic Oxygen Furnace - BOF)",
        "cbam_product_group": "steel",
        "cn_codes": ["72031000", "72044100"],
        "default_direct_tco2_per_ton": 1.850,
        "default_indirect_tco2_per_ton": 0.150,
        "default_total_tco2_per_ton": 2.000,
        "source": "World Steel Association - Steel Climate Impact Report 2023",
        "source_url": "https://worldsteel.org/steel-topics/climate-change/",
        "vintage": 2023,
        "uncertainty_pct": 20,
        "scope": "Ironmaking + steelmaking, BF-BOF route",
        "notes": "Primary steel from iron ore (blast furnace + basic oxygen furnace)",
    },
    "steel_electric_arc_furnace": {
        "product_name": "Steel (Electric Arc Furnace - EAF)",
        "cbam_product_group": "steel",
        "cn_codes": ["72031000", "72044900"],  # 72031000 also listed above: first match wins
        "default_direct_tco2_per_ton": 0.385,
        "default_indirect_tco2_per_ton": 0.415,
        "default_total_tco2_per_ton": 0.800,
        "source": "World Steel Association - Steel Climate Impact Report 2023",
        "source_url": "https://worldsteel.org/steel-topics/climate-change/",
        "vintage": 2023,
        "uncertainty_pct": 25,
        "scope": "Secondary steel from scrap, EAF route",
        "notes": "Low direct emissions, electricity-heavy",
    },
    "steel_hot_rolled": {
        "product_name": "Hot-rolled Steel Products",
        "cbam_product_group": "steel",
        "cn_codes": [
            "72081000",
            "72082500",
            "72083600",
        ],
        "default_direct_tco2_per_ton": 1.950,
        "default_indirect_tco2_per_ton": 0.200,
        "default_total_tco2_per_ton": 2.150,
        "source": "World Steel Association (average BOF + rolling)",
        "source_url": "https://worldsteel.org/steel-topics/climate-change/",
        "vintage": 2023,
        "uncertainty_pct": 22,
        "scope": "Steelmaking + hot rolling",
        "notes": "Upstream steelmaking plus the hot rolling mill",
    },
    "iron_pig_iron": {
        "product_name": "Pig Iron",
        "cbam_product_group": "iron",  # sic: not "steel"
        "cn_codes": ["72011000"],
        "default_direct_tco2_per_ton": 1.800,
        "default_indirect_tco2_per_ton": 0.100,
        "default_total_tco2_per_ton": 1.900,
        "source": "World Steel Association + IPCC 2019",
        "source_url": "https://worldsteel.org/",
        "vintage": 2023,
        "uncertainty_pct": 18,
        "scope": "Blast furnace ironmaking",
        "notes": "Blast furnace intermediate product",
    },
}


# ============================================================================
# ALUMINUM
# ============================================================================

ALUMINUM_FACTORS = {
    "aluminum_primary_unwrought": {
        "product_name": "Aluminum, Unwrought (Primary)",
        "cbam_product_group": "aluminum",
        "cn_codes": ["76011000"],
        "default_direct_tco2_per_ton": 1.700,
        "default_indirect_tco2_per_ton": 9.800,
        "default_total_tco2_per_ton": 11.500,
        "source": "IAI (International Aluminum Institute) - GHG Protocol 2023",
        "source_url": "https://international-aluminium.org/statistics/greenhouse-gas-emissions/",
        "vintage": 2023,
        "uncertainty_pct": 35,
        "scope": "Alumina refining + electrolysis (global average)",
        "notes": "Dominated by smelter electricity; strongly grid-dependent",
    },
    "aluminum_alloys_unwrought": {
        "product_name": "Aluminum Alloys, Unwrought",
        "cbam_product_group": "aluminum",
        "cn_codes": ['76012000'],
        "default_direct_tco2_per_ton": 1.600,
        "default_indirect_tco2_per_ton": 9.500,
        "default_total_tco2_per_ton": 11.100,
        "source": "IAI - GHG Protocol 2023",
        "source_url": "https://international-aluminium.org/",
        "vintage": 2023,
        "uncertainty_pct": 35,
        "scope": "Primary aluminum + alloying",
        "notes": "Close to primary aluminium; small alloying adjustment",
    },
    "aluminum_secondary": {
        "product_name": "Aluminum (Secondary/Recycled)",
        "cbam_product_group": "aluminum",
        "cn_codes": ["76020000"],
        "default_direct_tco2_per_ton": 0.350,
        "default_indirect_tco2_per_ton": 0.250,
        "default_total_tco2_per_ton": 0.600,
        "source": "IAI - GHG Protocol 2023",
        "source_url": "https://international-aluminium.org/",
        "vintage": 2023,
        "uncertainty_pct": 30,
        "scope": "Remelting of recycled aluminum",
        "notes": "Recycling route, a small fraction of the primary energy use",
    },
}


# ============================================================================
# FERTILIZERS
# ============================================================================

FERTILIZER_FACTORS = {
    "fertilizers_ammonia": {
        "product_name": "Ammonia (Anhydrous)",
        "cbam_product_group": "fertilizers",
        "cn_codes": ["28141000"],
        "default_direct_tco2_per_ton": 2.200,
        "default_indirect_tco2_per_ton": 0.300,
        "default_total_tco2_per_ton": 2.500,
        "source": "IPCC 2019 Refinement, Volume 3, Chapter 3",
        "source_url": "https://www.ipcc-nggip.iges.or.jp/public/2019rf/",
        "vintage": 2019,
        "uncertainty_pct": 25,
        "scope": "Haber-Bosch (natural gas as feedstock and fuel)",
        "notes": "Varies with reformer efficiency",
    },
    "fertilizers_urea": {
        "product_name": "Urea",
        "cbam_product_group": "fertilizers",
        "cn_codes": ["31021000"],
        "default_direct_tco2_per_ton": 1.500,
        "default_indirect_tco2_per_ton": 0.200,
        "default_total_tco2_per_ton": 1.700,
        "source": "IPCC 2019 Refinement + FAO studies",
        "source_url": "https://www.ipcc-nggip.iges.or.jp/",
        "vintage": 2019,
        "uncertainty_pct": 22,
        "scope": "Ammonia → urea synthesis",
        "notes": "Includes the CO2 of the ammonia feedstock",
    },
    "fertilizers_nitric_acid": {
        "product_name": "Nitric Acid",
        "cbam_product_group": "fertilizers",
        "cn_codes": ["28080000"],
        "default_direct_tco2_per_ton": 0.900,
        "default_indirect_tco2_per_ton": 0.150,
        "default_total_tco2_per_ton": 1.050,
        "source": "IPCC 2019 + European Fertilizer Manufacturers Association",
        "source_url": "https://www.fertilizerseurope.com/",
        "vintage": 2020,
        "uncertainty_pct": 20,
        "scope": "Oxidation of ammonia to nitric acid",
        "notes": "Includes N2O (high GWP)",
    },
}


# ============================================================================
# HYDROGEN
# ============================================================================

HYDROGEN_FACTORS = {
    "hydrogen_grey": {
        "product_name": "Hydrogen (Grey - from natural gas)",
        "cbam_product_group": "hydrogen",
        "cn_codes": ["28041000"],
        "default_direct_tco2_per_ton": 10.000,
        "default_indirect_tco2_per_ton": 1.000,
        "default_total_tco2_per_ton": 11.000,
        "source": "IEA - Global Hydrogen Review 2023",
        "source_url": "https://www.iea.org/reports/global-hydrogen-review-2023",
        "vintage": 2023,
        "uncertainty_pct": 30,
        "scope": "Steam methane reforming, no CCS",
        "notes": "Most carbon-intensive common hydrogen route",
    },
}


# ============================================================================
# CONSOLIDATED DATABASE
# ============================================================================

EMISSION_FACTORS_DB: Dict[str, Dict[str, Any]] = {
    **CEMENT_FACTORS,
    **STEEL_FACTORS,
    **ALUMINUM_FACTORS,
    **FERTILIZER_FACTORS,
    **HYDROGEN_FACTORS,
}


# ============================================================================
# UTILITY FUNCTIONS
# ============================================================================

def get_emission_factor_by_product_key(product_key: str) -> Dict[str, Any]:
    """Return the factor record for a key of EMISSION_FACTORS_DB (KeyError if absent)."""
    try:
        return EMISSION_FACTORS_DB[product_key]
    except KeyError:
        raise KeyError(f"Unknown product key '{product_key}'") from None


def get_emission_factor_by_cn_code(cn_code: str) -> List[Dict[str, Any]]:
    """Return every factor record listing cn_code, in database order.

    A CN code may appear in several records (72031000 does); callers in the
    production system take the first one.
    """
    return [
        dict(product_key=key, **record)
        for key, record in EMISSION_FACTORS_DB.items()
        if cn_code in record.get("cn_codes", [])
    ]


def get_all_product_groups() -> List[str]:
    """Sorted list of the product groups covered."""
    return sorted({r["cbam_product_group"] for r in EMISSION_FACTORS_DB.values()})


def get_all_cn_codes() -> List[str]:
    """Sorted list of every CN code that has a factor."""
    return sorted({c for r in EMISSION_FACTORS_DB.values() for c in r.get("cn_codes", [])})


def generate_summary_statistics() -> Dict[str, Any]:
    """Small summary of the database."""
    vintages = [r["vintage"] for r in EMISSION_FACTORS_DB.values()]
    return {
        "version": VERSION,
        "last_updated": LAST_UPDATED,
        "total_products": len(EMISSION_FACTORS_DB),
        "product_groups": get_all_product_groups(),
        "total_cn_codes": len(get_all_cn_codes()),
        "vintage_range": {"min": min(vintages), "max": max(vintages)},
        "disclaimer": DISCLAIMER,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(generate_summary_statistics(), indent=2, ensure_ascii=False))
