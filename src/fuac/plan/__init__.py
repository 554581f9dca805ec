"""The plan: rule files loaded, checked, composed and compiled; the engine that finds them and their plugins."""
