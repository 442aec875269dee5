// SPDX-License-Identifier: GPL-2.0

#include <linux/pm_runtime.h>

int rust_helper_pm_runtime_resume_and_get(struct device *dev)
{
	return pm_runtime_resume_and_get(dev);
}

int rust_helper_pm_runtime_resume(struct device *dev)
{
	return pm_runtime_resume(dev);
}

void rust_helper_pm_runtime_put(struct device *dev)
{
	pm_runtime_put(dev);
}

void rust_helper_pm_runtime_put_noidle(struct device *dev)
{
	pm_runtime_put_noidle(dev);
}

void rust_helper_pm_runtime_get_noresume(struct device *dev)
{
	pm_runtime_get_noresume(dev);
}

void rust_helper_pm_runtime_allow(struct device *dev)
{
	pm_runtime_allow(dev);
}

void rust_helper_pm_runtime_forbid(struct device *dev)
{
	pm_runtime_forbid(dev);
}
