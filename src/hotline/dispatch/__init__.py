"""Intelligent dispatch (智能派单): classify, locate and route every request."""
