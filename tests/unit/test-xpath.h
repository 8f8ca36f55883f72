/*
 * test-xpath.h: an XPath expression's value in a domain XML as a string,
 * for the unit tests that check what berth writes for libvirt (the qemu:
 * namespace registered). Header-only: each test is one program.
 */
#ifndef TEST_XPATH_H
#define TEST_XPATH_H

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

/* The caller frees the string. */
static char *
xp(const char *xml, const char *expr)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "t.xml", NULL, 0);
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr o;
	xmlChar *v;
	char *s;

	assert_non_null(doc);
	ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, BAD_CAST "qemu",
	                   BAD_CAST
	                   "http://libvirt.org/schemas/domain/qemu/1.0");
	o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	assert_non_null(o);
	v = xmlXPathCastToString(o);
	s = xstrdup((const char *)v);
	xmlFree(v);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return s;
}

#endif
