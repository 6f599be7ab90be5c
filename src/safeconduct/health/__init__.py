"""The health check: can the store be read and written."""
