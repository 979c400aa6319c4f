"""Tagger: finds mentions of watched entities in articles (pure core + Faust shell)."""
