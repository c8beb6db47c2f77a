"""Reply-quality review (答复质量审核): score a department's reply before it reaches the citizen."""
